package io.lakeshard.core.schema;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** LakeSync's column types. Values are checked by their JSON kind. */
public enum ColumnType {
  STRING,
  NUMBER,
  BOOLEAN,
  JSON,
  NULL;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a JSON value (valid JSON text) fits this type; null fits every type. */
  public boolean accepts(String json) {
    char first = json.isEmpty() ? 'n' : json.charAt(0);
    if (first == 'n') {
      return true;
    }
    return switch (this) {
      case STRING -> first == '"';
      case NUMBER -> first == '-' || Character.isDigit(first);
      case BOOLEAN -> first == 't' || first == 'f';
      case JSON -> true;
      case NULL -> false;
    };
  }
}
