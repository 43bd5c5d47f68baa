package io.lakeshard.core.stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * JSON streams (content type application/json): an append is one JSON value, or an array whose
 * elements are appended as individual values; reads return the values as one array. A message is
 * stored as its values re-serialized and joined by commas, so a read is {@code [} + messages joined
 * by commas + {@code ]} without parsing anything again.
 */
public final class JsonMode {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final byte[] EMPTY_ARRAY = "[]".getBytes(StandardCharsets.US_ASCII);

  private JsonMode() {}

  /** Thrown for a body that is not one JSON value, or an empty array where values are required. */
  public static final class InvalidJson extends Exception {
    InvalidJson(String message) {
      super(message);
    }
  }

  public static boolean isJson(String contentType) {
    return "application/json".equals(mediaType(contentType));
  }

  /** The media type without parameters, lower-cased: what stream content types are compared by. */
  public static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  /** Whether two content types name the same media type (parameters and case aside). */
  static boolean sameMediaType(String a, String b) {
    return mediaType(a).equals(mediaType(b));
  }

  /** How a stream of {@code contentType} stores {@code body}: as it is, or {@link #normalize normalized} JSON. */
  static byte[] stored(String contentType, byte[] body, boolean allowEmpty) throws InvalidJson {
    return isJson(contentType) ? normalize(body, allowEmpty) : body;
  }

  /**
   * The stored form of an appended body: its values joined by commas; empty for an empty array
   * when {@code allowEmpty} (a create may start a JSON stream empty, an append may not).
   */
  static byte[] normalize(byte[] body, boolean allowEmpty) throws InvalidJson {
    JsonNode value;
    try {
      value = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new InvalidJson("invalid JSON");
    }
    if (value == null || value.isMissingNode()) {
      throw new InvalidJson("invalid JSON: no value");
    }
    List<JsonNode> values = new ArrayList<>();
    if (value.isArray()) {
      value.forEach(values::add);
      if (values.isEmpty() && !allowEmpty) {
        throw new InvalidJson("empty JSON arrays cannot be appended");
      }
    } else {
      values.add(value);
    }
    return joined(values);
  }

  /** The stored form of values: their JSON texts, comma-separated, without the enclosing array. */
  private static byte[] joined(List<JsonNode> values) {
    StringBuilder joined = new StringBuilder();
    for (JsonNode element : values) {
      if (joined.length() > 0) {
        joined.append(',');
      }
      joined.append(write(element));
    }
    return joined.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** How many values a stored message holds. */
  static List<JsonNode> values(byte[] stored) {
    try {
      List<JsonNode> values = new ArrayList<>();
      MAPPER.readTree(array(List.of(stored))).forEach(values::add);
      return values;
    } catch (IOException e) {
      throw new IllegalStateException("stored JSON message is unreadable", e);
    }
  }

  /** The stored form of the first {@code count} values of a stored message. */
  static byte[] prefix(byte[] stored, int count) {
    List<JsonNode> values = values(stored).subList(0, count);
    return joined(values);
  }

  /** Stored messages as the JSON array a reader gets. */
  public static byte[] array(List<byte[]> messages) {
    if (messages.isEmpty()) {
      return EMPTY_ARRAY;
    }
    int size = 2 + messages.size() - 1;
    for (byte[] message : messages) {
      size += message.length;
    }
    byte[] out = new byte[size];
    out[0] = '[';
    int at = 1;
    for (int i = 0; i < messages.size(); i++) {
      if (i > 0) {
        out[at++] = ',';
      }
      byte[] message = messages.get(i);
      System.arraycopy(message, 0, out, at, message.length);
      at += message.length;
    }
    out[at] = ']';
    return out;
  }

  private static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
