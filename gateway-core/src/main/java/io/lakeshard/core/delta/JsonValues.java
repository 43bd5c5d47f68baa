package io.lakeshard.core.delta;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Column values are JSON text. Almost all are a plain string, number or literal, which these
 * methods recognise with a scan; anything else (escapes, objects, arrays, whitespace) goes
 * through Jackson. Every delta passes {@link #isValid} on the way in and every flushed cell
 * through the typed readers, so creating a parser per value was a large part of both.
 */
public final class JsonValues {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonValues() {}

  /** Whether {@code json} is exactly one JSON value (surrounding whitespace allowed). */
  public static boolean isValid(String json) {
    if (isLiteral(json) || isPlainNumber(json) || isPlainString(json)) {
      return true;
    }
    try (JsonParser parser = FACTORY.createParser(json)) {
      if (parser.nextToken() == null) {
        return false;
      }
      parser.skipChildren();
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code true}, {@code false} or {@code null}. */
  private static boolean isLiteral(String json) {
    return json.equals("true") || json.equals("false") || json.equals("null");
  }

  /** A JSON number: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}. */
  static boolean isPlainNumber(String json) {
    int i = 0;
    int n = json.length();
    if (i < n && json.charAt(i) == '-') {
      i++;
    }
    if (i >= n) {
      return false;
    }
    if (json.charAt(i) == '0') {
      i++;
    } else {
      int start = i;
      i = digits(json, i);
      if (i == start) {
        return false;
      }
    }
    if (i < n && json.charAt(i) == '.') {
      int start = ++i;
      i = digits(json, i);
      if (i == start) {
        return false;
      }
    }
    if (i < n && (json.charAt(i) == 'e' || json.charAt(i) == 'E')) {
      i++;
      if (i < n && (json.charAt(i) == '+' || json.charAt(i) == '-')) {
        i++;
      }
      int start = i;
      i = digits(json, i);
      if (i == start) {
        return false;
      }
    }
    return i == n;
  }

  private static int digits(String json, int from) {
    int i = from;
    while (i < json.length() && json.charAt(i) >= '0' && json.charAt(i) <= '9') {
      i++;
    }
    return i;
  }

  /** A JSON string without escapes: its content is the text between the quotes. */
  static boolean isPlainString(String json) {
    int n = json.length();
    if (n < 2 || json.charAt(0) != '"' || json.charAt(n - 1) != '"') {
      return false;
    }
    for (int i = 1; i < n - 1; i++) {
      char c = json.charAt(i);
      if (c == '"' || c == '\\' || c < 0x20) {
        return false;
      }
    }
    return true;
  }

  /** The value of a JSON string, number or boolean as Java sees it; {@code null} for JSON null. */
  public static Object scalar(String json) {
    if (json.equals("null")) {
      return null;
    }
    if (json.equals("true") || json.equals("false")) {
      return Boolean.valueOf(json);
    }
    if (isPlainNumber(json)) {
      return Double.parseDouble(json);
    }
    if (isPlainString(json)) {
      return json.substring(1, json.length() - 1);
    }
    try (JsonParser parser = FACTORY.createParser(json)) {
      JsonToken token = parser.nextToken();
      if (token == null) {
        throw new IllegalArgumentException("not JSON: " + json);
      }
      return switch (token) {
        case VALUE_STRING -> parser.getText();
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
        case VALUE_TRUE -> Boolean.TRUE;
        case VALUE_FALSE -> Boolean.FALSE;
        case VALUE_NULL -> null;
        default -> throw new IllegalArgumentException("not a JSON scalar: " + json);
      };
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }
}
