package io.lakeshard.node.sync;

/**
 * The one rule for a pull's page size, on every transport: 0 (or absent) asks for the default;
 * 1 to 2^31 − 1 is served, capped at the maximum (a client asking for more gets full pages and
 * {@code hasMore}); anything else is refused: negative, or 2^31 and beyond, which is what a proto
 * {@code uint32} of 2^31 or more reads as in Java (a negative int) and no client means.
 */
record PullLimit(int defaultLimit, int maxLimit) {
  /** What {@link #resolve} answers for a refused limit; a served limit is at least 1. */
  static final int REFUSED = 0;

  PullLimit {
    if (defaultLimit < 1 || maxLimit < defaultLimit) {
      throw new IllegalArgumentException("pull limits need 1 <= default-limit <= max-limit, got "
          + defaultLimit + " and " + maxLimit);
    }
  }

  /** The page size to ask the gateway for, or {@link #REFUSED}. */
  int resolve(long requested) {
    if (requested == 0) {
      return defaultLimit;
    }
    if (requested < 0 || requested > Integer.MAX_VALUE) {
      return REFUSED;
    }
    return (int) Math.min(requested, maxLimit);
  }

  String rule() {
    return "limit must be 0 (the default, " + defaultLimit + ") up to 2147483647; above " + maxLimit
        + " it is capped at " + maxLimit;
  }
}
