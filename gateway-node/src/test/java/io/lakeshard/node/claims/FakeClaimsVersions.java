package io.lakeshard.node.claims;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/** Versions in a map, each raise told to the listeners at once: OpenSessions' tests, without a cluster. */
final class FakeClaimsVersions implements ClaimsVersions {
  private final Map<String, Long> versions = new ConcurrentHashMap<>();
  private final List<BiConsumer<String, Long>> listeners = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<Long> current(String userId) {
    return CompletableFuture.completedFuture(versions.getOrDefault(userId, 0L));
  }

  @Override
  public CompletionStage<Long> raise(String userId, OptionalLong version) {
    long held = versions.merge(userId, version.orElse(versions.getOrDefault(userId, 0L) + 1), Math::max);
    listeners.forEach(listener -> listener.accept(userId, held));
    return CompletableFuture.completedFuture(held);
  }

  /** A raise this node has not been told of yet (it landed elsewhere, gossip still on its way). */
  void raiseUntold(String userId, long version) {
    versions.merge(userId, version, Math::max);
  }

  @Override
  public void onRaised(BiConsumer<String, Long> listener) {
    listeners.add(listener);
  }
}
