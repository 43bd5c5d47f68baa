package io.lakeshard.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.core.eventstore.LiveEvent;
import io.lakeshard.core.eventstore.LiveStoreHooks;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The hook LiveStoreNodeTest configures: a push holding an event named {@code hook.refuse} fails
 * its stage, one named {@code hook.throw} throws; a pull whose payload has {@code refusePull} fails.
 */
public final class TestLiveStoreHook implements LiveStoreHooks {
  @Override
  public CompletionStage<Void> onPush(String storeId, Optional<JsonNode> payload, List<LiveEvent> batch) {
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
