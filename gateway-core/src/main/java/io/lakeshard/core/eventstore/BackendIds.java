package io.lakeshard.core.eventstore;

import java.security.SecureRandom;

/** A store's backendId: 21 characters of {@code A-Za-z0-9_-} from a SecureRandom, as LiveStore's nanoid makes it. */
final class BackendIds {
  private static final char[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".toCharArray();
  static final int LENGTH = 21;
  private static final SecureRandom RANDOM = new SecureRandom();

  private BackendIds() {}

  static String next() {
    byte[] bytes = new byte[LENGTH];
    RANDOM.nextBytes(bytes);
    char[] id = new char[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
      id[i] = ALPHABET[bytes[i] & 63]; // 64 symbols: the low six bits of a random byte are uniform
    }
    return new String(id);
  }
}
