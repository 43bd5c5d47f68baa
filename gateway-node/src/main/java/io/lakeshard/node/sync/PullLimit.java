package io.lakeshard.node.sync;

/**
 * The one rule for a pull's page size, on every transport: 0 (or absent) asks for the default;
 * any larger value is served, capped at the maximum (a client asking for more gets full pages and
 * {@code hasMore}); a negative one is refused. A WebSocket's {@code max_deltas} is a proto
 * {@code uint32}, read unsigned, so every value it can carry is served (2^32 − 1: "as many as
 * allowed"); only an HTTP {@code limit} can be negative.
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
    if (requested < 0) {
      return REFUSED;
    }
    return (int) Math.min(requested, maxLimit);
  }

  String rule() {
    return "limit must be 0 (the default, " + defaultLimit + ") or more; above " + maxLimit
        + " it is capped at " + maxLimit;
  }
}
