package io.lakeshard.core.rules;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.delta.JsonValues;
import java.math.BigDecimal;
import java.text.Collator;
import java.util.Locale;

/**
 * The JavaScript conversions LakeSync's rule evaluator relies on: {@code String(value)} of a
 * column's JSON value, {@code parseFloat}, and the ordering of gt/lt/gte/lte (numeric when both
 * sides parse as numbers, else {@code localeCompare}).
 */
final class JsText {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /**
   * localeCompare in LakeSync's runtime is ICU collation for English; Java's English collator
   * orders letters, digits and case the same way. Collators are not thread-safe: one per thread.
   */
  private static final ThreadLocal<Collator> COLLATOR = ThreadLocal.withInitial(() -> {
    Collator collator = Collator.getInstance(Locale.ENGLISH);
    collator.setDecomposition(Collator.CANONICAL_DECOMPOSITION);
    return collator;
  });

  private JsText() {}

  /** {@code String(value)} of the JSON value {@code json}: a string as itself, 1.0 as "1", [1,"a"] as "1,a". */
  static String of(String json) {
    if (isPlainInteger(json)) {
      return json;
    }
    String trimmed = json.strip();
    if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
      try {
        return of(MAPPER.readTree(trimmed));
      } catch (JacksonException e) {
        return json; // every stored value passed JsonValues.isValid; kept total all the same
      }
    }
    Object scalar = JsonValues.scalar(json);
    return scalar == null ? "null" : scalar instanceof Double value ? number(value) : scalar.toString();
  }

  /** Digits with no fraction, exponent or leading zero, short enough to be exact: JavaScript prints them as written. */
  private static boolean isPlainInteger(String json) {
    int start = json.startsWith("-") ? 1 : 0;
    int n = json.length();
    if (n - start < 1 || n - start > 15 || json.charAt(start) == '0') {
      return false;
    }
    for (int i = start; i < n; i++) {
      if (json.charAt(i) < '0' || json.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static String of(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isNumber()) {
      return number(node.doubleValue());
    }
    if (node.isArray()) {
      StringBuilder joined = new StringBuilder();
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          joined.append(',');
        }
        if (!node.get(i).isNull()) { // Array.prototype.join writes null as nothing
          joined.append(of(node.get(i)));
        }
      }
      return joined.toString();
    }
    if (node.isObject()) {
      return "[object Object]";
    }
    return node.asText(); // true, false, null
  }

  /** Number.prototype.toString(): integers without ".0", plain notation from 1e-7 up to 1e21, else "1.5e+21". */
  static String number(double value) {
    if (value == 0) {
      return "0";
    }
    BigDecimal decimal = new BigDecimal(Double.toString(value)).stripTrailingZeros();
    String digits = decimal.unscaledValue().abs().toString();
    int k = digits.length();
    int n = k - decimal.scale(); // value = 0.digits × 10^n
    String sign = value < 0 ? "-" : "";
    if (k <= n && n <= 21) {
      return sign + digits + "0".repeat(n - k);
    }
    if (0 < n && n <= 21) {
      return sign + digits.substring(0, n) + "." + digits.substring(n);
    }
    if (-6 < n && n <= 0) {
      return sign + "0." + "0".repeat(-n) + digits;
    }
    String exponent = (n - 1 >= 0 ? "+" : "-") + Math.abs(n - 1);
    return sign + digits.charAt(0) + (k > 1 ? "." + digits.substring(1) : "") + "e" + exponent;
  }

  /**
   * parseFloat: the longest leading decimal number after whitespace ("12px" is 12, "Infinity" is
   * infinite), NaN when there is none.
   */
  static double parseFloat(String text) {
    int i = 0;
    int n = text.length();
    while (i < n && isJsWhitespace(text.charAt(i))) {
      i++;
    }
    int start = i;
    if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
      i++;
    }
    if (text.startsWith("Infinity", i)) {
      return text.charAt(start) == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    int integerDigits = digits(text, i);
    i += integerDigits;
    int fractionDigits = 0;
    if (i < n && text.charAt(i) == '.') {
      fractionDigits = digits(text, i + 1);
      if (integerDigits > 0 || fractionDigits > 0) {
        i += 1 + fractionDigits;
      }
    }
    if (integerDigits == 0 && fractionDigits == 0) {
      return Double.NaN;
    }
    if (i < n && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
      int j = i + 1;
      if (j < n && (text.charAt(j) == '+' || text.charAt(j) == '-')) {
        j++;
      }
      int exponentDigits = digits(text, j);
      if (exponentDigits > 0) {
        i = j + exponentDigits;
      }
    }
    return Double.parseDouble(text.substring(start, i));
  }

  private static int digits(String text, int from) {
    int i = from;
    while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
      i++;
    }
    return i - from;
  }

  private static boolean isJsWhitespace(char c) {
    return c == '\uFEFF' || Character.isWhitespace(c) || Character.getType(c) == Character.SPACE_SEPARATOR;
  }

  /** LakeSync's compareValues: numerically when both sides parse, else by locale collation. */
  static int compare(String deltaValue, String filterValue) {
    double left = parseFloat(deltaValue);
    double right = parseFloat(filterValue);
    if (!Double.isNaN(left) && !Double.isNaN(right)) {
      return left == right ? 0 : left < right ? -1 : 1;
    }
    return COLLATOR.get().compare(deltaValue, filterValue);
  }
}
