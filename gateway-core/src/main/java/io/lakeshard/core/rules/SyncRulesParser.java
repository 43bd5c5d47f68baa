package io.lakeshard.core.rules;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads sync rules as an admin posts them, with LakeSync's checks in LakeSync's order and words
 * ({@code validateSyncRules}), so a client sees the same first complaint from either gateway.
 * As in JavaScript, an array is an object without the fields asked for.
 */
public final class SyncRulesParser {
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final String OPS = "eq, in, neq, gt, lt, gte, lte";

  /** Rules that are not JSON, or break a rule of their shape; the message says which. */
  public static final class InvalidSyncRulesException extends Exception {
    InvalidSyncRulesException(String message) {
      super(message);
    }
  }

  private SyncRulesParser() {}

  public static SyncRules parse(byte[] json) throws InvalidSyncRulesException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new InvalidSyncRulesException("Invalid JSON body");
    }
    if (root == null || root.isMissingNode()) {
      throw new InvalidSyncRulesException("Invalid JSON body"); // an empty body is not JSON
    }
    if (!isObject(root)) {
      throw new InvalidSyncRulesException("Sync rules config must be an object");
    }
    JsonNode version = field(root, "version");
    if (!version.isNumber() || version.doubleValue() != Math.rint(version.doubleValue()) || version.doubleValue() < 1
        || !version.canConvertToLong()) {
      throw new InvalidSyncRulesException("Sync rules version must be a positive integer");
    }
    JsonNode buckets = field(root, "buckets");
    if (!buckets.isArray()) {
      throw new InvalidSyncRulesException("Sync rules buckets must be an array");
    }
    Set<String> names = new HashSet<>();
    List<SyncRules.Bucket> parsed = new ArrayList<>(buckets.size());
    for (int i = 0; i < buckets.size(); i++) {
      parsed.add(bucket(buckets.get(i), i, names));
    }
    return new SyncRules(version.longValue(), parsed);
  }

  private static SyncRules.Bucket bucket(JsonNode bucket, int index, Set<String> names)
      throws InvalidSyncRulesException {
    if (!isObject(bucket)) {
      throw new InvalidSyncRulesException("Bucket at index " + index + " must be an object");
    }
    JsonNode name = field(bucket, "name");
    if (!name.isTextual() || name.textValue().isEmpty()) {
      throw new InvalidSyncRulesException("Bucket at index " + index + " must have a non-empty name");
    }
    String quoted = "Bucket \"" + name.textValue() + "\"";
    if (!names.add(name.textValue())) {
      throw new InvalidSyncRulesException("Duplicate bucket name: \"" + name.textValue() + "\"");
    }
    JsonNode tables = field(bucket, "tables");
    if (!tables.isArray()) {
      throw new InvalidSyncRulesException(quoted + " tables must be an array");
    }
    List<String> tableNames = new ArrayList<>(tables.size());
    for (JsonNode table : tables) {
      if (!table.isTextual() || table.textValue().isEmpty()) {
        throw new InvalidSyncRulesException(quoted + " tables must contain non-empty strings");
      }
      tableNames.add(table.textValue());
    }
    JsonNode filters = field(bucket, "filters");
    if (!filters.isArray()) {
      throw new InvalidSyncRulesException(quoted + " filters must be an array");
    }
    List<SyncRules.Filter> parsed = new ArrayList<>(filters.size());
    for (int j = 0; j < filters.size(); j++) {
      parsed.add(filter(filters.get(j), quoted + " filter at index " + j));
    }
    return new SyncRules.Bucket(name.textValue(), tableNames, parsed);
  }

  private static SyncRules.Filter filter(JsonNode filter, String where) throws InvalidSyncRulesException {
    if (!isObject(filter)) {
      throw new InvalidSyncRulesException(where + " must be an object");
    }
    JsonNode column = field(filter, "column");
    if (!column.isTextual() || column.textValue().isEmpty()) {
      throw new InvalidSyncRulesException(where + " must have a non-empty column");
    }
    SyncRules.Op op = op(field(filter, "op"));
    if (op == null) {
      throw new InvalidSyncRulesException(where + " op must be one of: " + OPS);
    }
    JsonNode value = field(filter, "value");
    if (!value.isTextual() || value.textValue().isEmpty()) {
      throw new InvalidSyncRulesException(where + " must have a non-empty value");
    }
    return new SyncRules.Filter(column.textValue(), op, value.textValue());
  }

  private static SyncRules.Op op(JsonNode op) {
    if (!op.isTextual()) {
      return null;
    }
    return switch (op.textValue()) {
      case "eq" -> SyncRules.Op.EQ;
      case "in" -> SyncRules.Op.IN;
      case "neq" -> SyncRules.Op.NEQ;
      case "gt" -> SyncRules.Op.GT;
      case "lt" -> SyncRules.Op.LT;
      case "gte" -> SyncRules.Op.GTE;
      case "lte" -> SyncRules.Op.LTE;
      default -> null;
    };
  }

  /** {@code typeof x === "object" && x !== null}: arrays too. */
  private static boolean isObject(JsonNode node) {
    return node.isObject() || node.isArray();
  }

  /** The field of an object; nothing for an array (its fields are undefined in JavaScript). */
  private static JsonNode field(JsonNode node, String name) {
    JsonNode value = node.isObject() ? node.get(name) : null;
    return value == null ? MissingNode.getInstance() : value;
  }
}
