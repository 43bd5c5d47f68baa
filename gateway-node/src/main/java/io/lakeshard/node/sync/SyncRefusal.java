package io.lakeshard.node.sync;

/** Why the sync service refused a request; each transport maps every reason to its own code. */
public enum SyncRefusal {
  /** The gateway id in the path is not {@code [A-Za-z0-9._-]{1,128}}. */
  INVALID_GATEWAY,
  /** The token's {@code gw} claim names another gateway. */
  WRONG_GATEWAY,
  /** The push's clientId is not the token's {@code sub}. */
  CLIENT_MISMATCH,
  /** More deltas in one push than {@code lakeshard.push.max-deltas}. */
  TOO_MANY_DELTAS,
  /** A delta the gateway cannot take (missing names, a column value that is not JSON). */
  INVALID_DELTA,
  /** A pull limit that is negative or beyond a signed 32-bit integer. */
  INVALID_LIMIT,
  /** A delta's HLC is too far ahead of the server's clock. */
  CLOCK_DRIFT,
  /** A delta breaks its table's registered schema. */
  SCHEMA_MISMATCH,
  /** The gateway has written no checkpoint yet. */
  NO_CHECKPOINT,
  /** An action push that is not LakeSync's shape (LakeSync's VALIDATION_ERROR); nothing ran. */
  INVALID_ACTION
}
