package io.lakeshard.core.schema;

/**
 * LakeSync's rule for table and column names, {@code ^[a-zA-Z_][a-zA-Z0-9_]{0,63}$}: safe as SQL
 * identifiers and as Iceberg table names. Checked on every pushed delta, so without a regex (a
 * Matcher per delta).
 */
public final class Identifiers {
  public static final int MAX_LENGTH = 64;
  public static final String RULE = "a letter or underscore, then letters, digits or underscores, at most "
      + MAX_LENGTH + " in all";

  private Identifiers() {}

  public static boolean valid(String name) {
    int length = name.length();
    if (length == 0 || length > MAX_LENGTH || !letterOrUnderscore(name.charAt(0))) {
      return false;
    }
    for (int i = 1; i < length; i++) {
      char c = name.charAt(i);
      if (!letterOrUnderscore(c) && (c < '0' || c > '9')) {
        return false;
      }
    }
    return true;
  }

  private static boolean letterOrUnderscore(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
  }
}
