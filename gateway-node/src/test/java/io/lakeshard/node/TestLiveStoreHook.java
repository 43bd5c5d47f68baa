package io.lakeshard.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.core.eventstore.LiveEvent;
import io.lakeshard.core.eventstore.LiveStoreHooks;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The hook LiveStoreNodeTest configures: a push holding an event named {@code hook.refuse} fails
 * its stage, one named {@code hook.throw} throws; a pull whose payload has {@code refusePull} fails.
 * In a store whose id starts with {@code held-}, a push on the root (parent 0) waits {@link #HOLD}:
 * two clients that start committing together then both push on the root, so one of them is
 * refused as behind and has to rebase, whatever the machine's speed (LiveStoreClientTest).
 */
public final class TestLiveStoreHook implements LiveStoreHooks {
  static final Duration HOLD = Duration.ofSeconds(3);

  @Override
  public CompletionStage<Void> onPush(String storeId, Optional<JsonNode> payload, List<LiveEvent> batch) {
    if (storeId.startsWith("held-") && !batch.isEmpty() && batch.get(0).parentSeqNum() == 0) {
      return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(HOLD.toMillis(), TimeUnit.MILLISECONDS));
    }
    for (LiveEvent event : batch) {
      if (event.name().equals("hook.refuse")) {
        return CompletableFuture.failedFuture(new IllegalStateException("hook.refuse is not allowed"));
      }
      if (event.name().equals("hook.throw")) {
        throw new IllegalStateException("the hook threw");
      }
    }
    return DONE;
  }

  @Override
  public CompletionStage<Void> onPull(String storeId, Optional<JsonNode> payload, long afterSeqNum, boolean live) {
    return payload.map(json -> json.path("refusePull").asBoolean()).orElse(false)
        ? CompletableFuture.failedFuture(new IllegalStateException("pulls refused for this payload"))
        : DONE;
  }
}
