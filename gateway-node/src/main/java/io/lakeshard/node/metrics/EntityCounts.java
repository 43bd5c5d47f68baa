package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Entities alive on this node, per entity type: a gauge of the count sharding last reported. A
 * gauge is read on the scrape's thread and sharding answers asynchronously, so the counts are
 * polled every {@link #EVERY} instead (the figure is at most that old).
 */
final class EntityCounts {
  static final Duration EVERY = Duration.ofSeconds(5);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);

  private EntityCounts() {}

  /** Starts polling the given (initialised) entity types. */
  static void start(ActorSystem<?> system, MeterRegistry registry, List<EntityTypeKey<?>> types) {
    ClusterSharding sharding = ClusterSharding.get(system);
    for (EntityTypeKey<?> type : types) {
      AtomicLong alive = new AtomicLong();
      Gauge.builder("lakeshard.entities", alive, AtomicLong::get)
          .description("entities alive on this node, by type (polled every " + EVERY.toSeconds() + " s)")
          .tag("type", type.name()).register(registry);
      system.scheduler().scheduleWithFixedDelay(Duration.ZERO, EVERY, () ->
          AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                  sharding.shardState(), replyTo -> new GetShardRegionState(type, replyTo), ASK_TIMEOUT,
                  system.scheduler())
              .thenAccept(state -> alive.set(state.getShards().stream()
                  .mapToLong(shard -> shard.getEntityIds().size()).sum())),
          system.executionContext());
    }
  }
}
