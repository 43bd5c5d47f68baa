package io.lakeshard.core.eventstore;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * User code a node runs for each LiveStore push and pull, as LiveStore's {@code onPush} /
 * {@code onPull} options of {@code makeDurableObject} (called with the store id and the client's
 * sync payload). Named in {@code lakeshard.livestore.hooks} (LAKESHARD_LIVESTORE_HOOKS), each
 * made once at start with its public no-arg constructor, and called in that order on every node
 * that serves the request (so every node needs the same list), before the request reaches the
 * store. A stage that fails, or a hook that throws, refuses that one request (the client gets an
 * UnknownError, LiveStore's answer to a failing hook) and is logged; the session and the store
 * carry on. Hooks run on the connection's thread: do blocking work elsewhere and return a stage.
 */
public interface LiveStoreHooks {
  CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

  /** Before a non-empty push goes to the store ({@code payload}: the sync payload, if any). */
  default CompletionStage<Void> onPush(String storeId, Optional<JsonNode> payload, List<LiveEvent> batch) {
    return DONE;
  }

  /** Before a pull reads the store: events after {@code afterSeqNum}; {@code live} for a WebSocket live pull. */
  default CompletionStage<Void> onPull(String storeId, Optional<JsonNode> payload, long afterSeqNum, boolean live) {
    return DONE;
  }
}
