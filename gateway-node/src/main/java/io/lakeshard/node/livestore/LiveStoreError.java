package io.lakeshard.node.livestore;

/**
 * The errors of {@code @livestore/common}'s sync schema a request can fail with (errors.ts and
 * sync/errors.ts of 0.4.0): its {@code _tag}s and field names exactly. There is no invalid-push or
 * invalid-pull error in 0.4.0's RPC schemas (ws-rpc-schema.ts: Pull fails with UnknownError |
 * BackendIdMismatchError, Push with UnknownError | ServerAheadError | BackendIdMismatchError), so
 * refused input is an {@link Unknown} with Lakeshard's code as its {@code note}.
 */
sealed interface LiveStoreError {
  /** The push does not continue the store's head: the client pulls, rebases and pushes again. */
  record ServerAhead(long minimumExpectedNum, long providedNum) implements LiveStoreError {}

  /** The client's cursor or push names another backend than the store's. */
  record BackendIdMismatch(String expected, String received) implements LiveStoreError {}

  /** {@code UnknownError{cause, note}}: a push is retried with backoff, a pull stops pulling. */
  record Unknown(Code code, String message) implements LiveStoreError {}

  /** Why a request is refused: the text before the colon of every refusal. */
  enum Code {
    /** storeId missing, empty, too long or with characters outside [A-Za-z0-9_-]. */
    INVALID_STORE_ID,
    /** The sync payload is not JSON, or the auth hook refused it. */
    INVALID_PAYLOAD,
    /** A push that is not of LiveStore's shape or over a limit. */
    INVALID_PUSH,
    /** A pull that is not of LiveStore's shape. */
    INVALID_PULL,
    /** A request that is not one of this transport's. */
    INVALID_REQUEST,
    /** A hook (lakeshard.livestore.hooks) refused or failed. */
    HOOK_REFUSED,
    /** The store cannot answer now (journal down, entity moving): retry. */
    UNAVAILABLE
  }
}
