package io.lakeshard.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.lakeshard.protocol.v1.Action;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.ActionResponse;
import io.lakeshard.protocol.v1.ActionResponseEntry;
import io.lakeshard.protocol.v1.ColumnDelta;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;


/**
 * The HTTP JSON form of the protocol, as LakeSync clients send it: 64-bit HLCs as decimal
 * strings, ops as {@code INSERT|UPDATE|DELETE}, column values as plain JSON.
 */
public final class JsonCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper(
      JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
          .build());

  private JsonCodec() {}

  public static SyncPush decodePush(byte[] body) throws ProtocolException {
    JsonNode root = parse(body);
    requireObject(root, "push body");
    SyncPush.Builder push = SyncPush.newBuilder()
        .setClientId(text(root, "clientId", true))
        .setLastSeenHlc(hlc(root, "lastSeenHlc", false));
    JsonNode deltas = root.get("deltas");
    if (deltas == null || !deltas.isArray()) {
      throw new ProtocolException("deltas must be an array");
    }
    for (JsonNode delta : deltas) {
      push.addDeltas(decodeDelta(delta));
    }
    return push.build();
  }

  private static RowDelta decodeDelta(JsonNode node) throws ProtocolException {
    requireObject(node, "delta");
    RowDelta.Builder delta = RowDelta.newBuilder()
        .setOp(op(text(node, "op", true)))
        .setTable(text(node, "table", true))
        .setRowId(text(node, "rowId", true))
        .setClientId(text(node, "clientId", true))
        .setHlc(hlc(node, "hlc", true))
        .setDeltaId(text(node, "deltaId", false));
    JsonNode columns = node.get("columns");
    if (columns != null && !columns.isNull()) {
      if (!columns.isArray()) {
        throw new ProtocolException("columns must be an array");
      }
      for (JsonNode column : columns) {
        requireObject(column, "column");
        JsonNode value = column.get("value");
        delta.addColumns(ColumnDelta.newBuilder()
            .setColumn(text(column, "column", true))
            .setValue(ByteString.copyFrom(writeJson(value == null ? MAPPER.nullNode() : value))));
      }
    }
    return delta.build();
  }

  /**
   * An action push as LakeSync's client sends it. Only what the protobuf form cannot carry is
   * refused here (with LakeSync's wording where it has one): a body that is not JSON, a missing
   * clientId or actions array, an action that is not an object, an HLC that is not a decimal
   * string, an idempotencyKey that is not a string. A field of the wrong type otherwise reads
   * as empty, for the service's checks to refuse as LakeSync's validation does.
   */
  public static ActionPush decodeActionPush(byte[] body) throws ProtocolException {
    JsonNode root;
    try {
      root = parse(body);
    } catch (ProtocolException e) {
      throw new ProtocolException("Invalid JSON body", e);
    }
    JsonNode clientId = root.get("clientId");
    JsonNode actions = root.get("actions");
    if (clientId == null || !clientId.isTextual() || clientId.textValue().isEmpty()
        || actions == null || !actions.isArray()) {
      throw new ProtocolException("Missing required fields: clientId, actions");
    }
    ActionPush.Builder push = ActionPush.newBuilder().setClientId(clientId.textValue());
    for (JsonNode action : actions) {
      push.addActions(decodeAction(action));
    }
    return push.build();
  }

  private static Action decodeAction(JsonNode node) throws ProtocolException {
    if (!node.isObject()) {
      throw new ProtocolException("Action must be a non-null object");
    }
    JsonNode hlc = node.get("hlc");
    if (hlc == null || !hlc.isTextual()) {
      throw new ProtocolException("hlc must be an unsigned 64-bit integer as a decimal string");
    }
    JsonNode key = node.get("idempotencyKey");
    if (key != null && !key.isTextual()) {
      throw new ProtocolException("idempotencyKey must be a string if provided");
    }
    JsonNode params = node.get("params");
    return Action.newBuilder()
        .setActionId(lenientText(node, "actionId"))
        .setClientId(lenientText(node, "clientId"))
        .setHlc(hlc(node, "hlc", true))
        .setConnector(lenientText(node, "connector"))
        .setActionType(lenientText(node, "actionType"))
        .setParams(params != null && params.isObject() ? ByteString.copyFrom(writeJson(params)) : ByteString.EMPTY)
        .setIdempotencyKey(key == null ? "" : key.textValue())
        .build();
  }

  private static String lenientText(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isTextual() ? value.textValue() : "";
  }

  /** LakeSync's ActionResponse: HLCs as decimal strings, each result's data as its JSON object. */
  public static byte[] encodeActionResponse(ActionResponse response) {
    return write(gen -> {
      gen.writeStartObject();
      gen.writeArrayFieldStart("results");
      for (ActionResponseEntry entry : response.getResultsList()) {
        gen.writeStartObject();
        if (entry.hasSuccess()) {
          gen.writeStringField("actionId", entry.getSuccess().getActionId());
          gen.writeFieldName("data");
          gen.writeRawValue(entry.getSuccess().getData().toStringUtf8());
          gen.writeStringField("serverHlc", Long.toUnsignedString(entry.getSuccess().getServerHlc()));
        } else {
          gen.writeStringField("actionId", entry.getError().getActionId());
          gen.writeStringField("code", entry.getError().getCode());
          gen.writeStringField("message", entry.getError().getMessage());
          gen.writeBooleanField("retryable", entry.getError().getRetryable());
        }
        gen.writeEndObject();
      }
      gen.writeEndArray();
      gen.writeStringField("serverHlc", Long.toUnsignedString(response.getServerHlc()));
      gen.writeEndObject();
    });
  }

  public static byte[] encodeResponse(SyncResponse response) {
    return write(gen -> {
      gen.writeStartObject();
      gen.writeArrayFieldStart("deltas");
      for (RowDelta delta : response.getDeltasList()) {
        writeDelta(gen, delta);
      }
      gen.writeEndArray();
      gen.writeStringField("serverHlc", Long.toUnsignedString(response.getServerHlc()));
      gen.writeBooleanField("hasMore", response.getHasMore());
      gen.writeEndObject();
    });
  }

  /** The acknowledgement of an HTTP push: LakeSync's {serverHlc, accepted, deltas}. */
  public static byte[] encodePushAck(long serverHlc, int accepted, List<RowDelta> ingested) {
    return write(gen -> {
      gen.writeStartObject();
      gen.writeStringField("serverHlc", Long.toUnsignedString(serverHlc));
      gen.writeNumberField("accepted", accepted);
      gen.writeArrayFieldStart("deltas");
      for (RowDelta delta : ingested) {
        writeDelta(gen, delta);
      }
      gen.writeEndArray();
      gen.writeEndObject();
    });
  }

  public static byte[] encodeError(String code, String message) {
    return write(gen -> {
      gen.writeStartObject();
      gen.writeStringField("error", code);
      gen.writeStringField("message", message);
      gen.writeEndObject();
    });
  }

  public static byte[] encodePush(SyncPush push) {
    return write(gen -> {
      gen.writeStartObject();
      gen.writeStringField("clientId", push.getClientId());
      gen.writeArrayFieldStart("deltas");
      for (RowDelta delta : push.getDeltasList()) {
        writeDelta(gen, delta);
      }
      gen.writeEndArray();
      gen.writeStringField("lastSeenHlc", Long.toUnsignedString(push.getLastSeenHlc()));
      gen.writeEndObject();
    });
  }

  private static void writeDelta(JsonGenerator gen, RowDelta delta) throws IOException {
    gen.writeStartObject();
    gen.writeStringField("op", delta.getOp().name().substring("DELTA_OP_".length()));
    gen.writeStringField("table", delta.getTable());
    gen.writeStringField("rowId", delta.getRowId());
    gen.writeStringField("clientId", delta.getClientId());
    gen.writeArrayFieldStart("columns");
    for (ColumnDelta column : delta.getColumnsList()) {
      gen.writeStartObject();
      gen.writeStringField("column", column.getColumn());
      gen.writeFieldName("value");
      gen.writeRawValue(column.getValue().toStringUtf8());
      gen.writeEndObject();
    }
    gen.writeEndArray();
    gen.writeStringField("hlc", Long.toUnsignedString(delta.getHlc()));
    gen.writeStringField("deltaId", delta.getDeltaId());
    gen.writeEndObject();
  }

  private static byte[] writeJson(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode parse(byte[] body) throws ProtocolException {
    try {
      JsonNode node = MAPPER.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw new ProtocolException("empty body");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ProtocolException("malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ProtocolException("unreadable body: " + e.getMessage(), e);
    }
  }

  private static void requireObject(JsonNode node, String what) throws ProtocolException {
    if (!node.isObject()) {
      throw new ProtocolException(what + " must be a JSON object");
    }
  }

  private static String text(JsonNode node, String field, boolean required) throws ProtocolException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        throw new ProtocolException(field + " is required");
      }
      return "";
    }
    if (!value.isTextual()) {
      throw new ProtocolException(field + " must be a string");
    }
    return value.textValue();
  }

  /** An HLC: a decimal string (LakeSync's form) or a JSON integer. */
  private static long hlc(JsonNode node, String field, boolean required) throws ProtocolException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        throw new ProtocolException(field + " is required");
      }
      return 0L;
    }
    try {
      if (value.isTextual()) {
        return Long.parseUnsignedLong(value.textValue());
      }
      if (value.canConvertToExactIntegral() && value.canConvertToLong() && value.longValue() >= 0) {
        return value.longValue();
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ProtocolException(field + " must be an unsigned 64-bit integer as a decimal string");
  }

  private static DeltaOp op(String name) throws ProtocolException {
    return switch (name) {
      case "INSERT" -> DeltaOp.DELTA_OP_INSERT;
      case "UPDATE" -> DeltaOp.DELTA_OP_UPDATE;
      case "DELETE" -> DeltaOp.DELTA_OP_DELETE;
      default -> throw new ProtocolException("unknown op '" + name + "' (INSERT, UPDATE or DELETE)");
    };
  }

  /** Writes a JSON document with a streaming generator. */
  public interface GeneratorBody {
    void write(JsonGenerator gen) throws IOException;
  }

  public static byte[] write(GeneratorBody body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator gen = MAPPER.getFactory().createGenerator(out)) {
      body.write(gen);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
