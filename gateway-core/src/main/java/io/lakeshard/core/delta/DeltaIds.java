package io.lakeshard.core.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.Sha256;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * deltaId as LakeSync computes it: hex SHA-256 of the stable (keys sorted recursively) JSON of
 * {@code {clientId, hlc: decimal string, table, rowId, columns: [{column, value}]}}, rendered the
 * way JavaScript's JSON.stringify renders it.
 */
public final class DeltaIds {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private DeltaIds() {}

  public static String compute(String clientId, long hlc, String table, String rowId, List<ColumnValue> columns) {
    StringBuilder out = new StringBuilder(128);
    // keys in sorted order: clientId, columns, hlc, rowId, table
    out.append("{\"clientId\":");
    string(out, clientId);
    out.append(",\"columns\":[");
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append("{\"column\":");
      string(out, columns.get(i).column());
      out.append(",\"value\":");
      value(out, parse(columns.get(i).json()));
      out.append('}');
    }
    out.append("],\"hlc\":");
    string(out, Long.toUnsignedString(hlc));
    out.append(",\"rowId\":");
    string(out, rowId);
    out.append(",\"table\":");
    string(out, table);
    out.append('}');
    return HexFormat.of().formatHex(Sha256.of(out.toString()));
  }

  private static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("column value is not JSON: " + e.getMessage(), e);
    }
  }

  private static void value(StringBuilder out, JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT -> {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        keys.sort(null); // JS sorts keys by UTF-16 code units, as String.compareTo does
        out.append('{');
        for (int i = 0; i < keys.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          string(out, keys.get(i));
          out.append(':');
          value(out, node.get(keys.get(i)));
        }
        out.append('}');
      }
      case ARRAY -> {
        out.append('[');
        for (int i = 0; i < node.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          value(out, node.get(i));
        }
        out.append(']');
      }
      case STRING -> string(out, node.textValue());
      case NUMBER -> number(out, node);
      case BOOLEAN -> out.append(node.booleanValue());
      default -> out.append("null");
    }
  }

  /** Numbers as JavaScript prints them: integral values without a fraction. */
  private static void number(StringBuilder out, JsonNode node) {
    if (node.isIntegralNumber()) {
      out.append(node.bigIntegerValue());
      return;
    }
    double d = node.doubleValue();
    if (d == Math.rint(d) && Math.abs(d) < 1e21) {
      out.append(new java.math.BigDecimal(d).toBigInteger());
    } else {
      out.append(node.decimalValue().stripTrailingZeros().toString().replace("E+", "e+").replace("E-", "e-"));
    }
  }

  /** A string literal escaped exactly as JSON.stringify escapes it. */
  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
