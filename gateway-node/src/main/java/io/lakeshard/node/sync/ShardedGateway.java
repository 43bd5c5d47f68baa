package io.lakeshard.node.sync;

import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.node.Stages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * A table-sharded gateway's entities, spoken to as one gateway: a push split by table, a pull
 * merged from every shard ({@link ShardPages}), a session subscribed to every shard. The
 * answers are the entity's own reply types, so the sync service reads them as it reads one
 * entity's.
 */
final class ShardedGateway {
  private final ClusterSharding sharding;
  private final GatewayShards.Layout layout;
  private final Duration askTimeout;

  ShardedGateway(ClusterSharding sharding, GatewayShards.Layout layout, Duration askTimeout) {
    this.sharding = sharding;
    this.layout = layout;
    this.askTimeout = askTimeout;
  }

  /** Its entities, the gateway's own first. */
  List<String> entityIds() {
    return layout.entityIds();
  }

  void subscribe(SyncGateway.Subscribe subscribe) {
    for (String entityId : layout.entityIds()) {
      entity(entityId).tell(subscribe);
    }
  }

  /**
   * Each shard's part of the push, all at once; accepted once every part is journaled, else the
   * first part's refusal or unavailability (in the shards' order). The parts that were journaled
   * stay: the client's retry of the whole push is deduplicated by deltaId in each shard.
   */
  CompletionStage<SyncGateway.PushReply> push(String clientId, List<RowDelta> deltas,
                                              ActorRef<SyncGateway.Broadcast> origin) {
    Map<String, List<RowDelta>> parts = new LinkedHashMap<>();
    for (RowDelta delta : deltas) {
      parts.computeIfAbsent(layout.entityOf(delta.table()), entityId -> new ArrayList<>()).add(delta);
    }
    if (parts.size() <= 1) {
      String entityId = parts.isEmpty() ? layout.gatewayId() : parts.keySet().iterator().next();
      return push(entityId, clientId, deltas, origin);
    }
    List<CompletableFuture<SyncGateway.PushReply>> replies = new ArrayList<>(parts.size());
    parts.forEach((entityId, part) -> replies.add(push(entityId, clientId, part, origin).toCompletableFuture()));
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
        .thenApply(done -> combined(replies.stream().map(CompletableFuture::join).toList(), deltas.size()));
  }

  /** Every shard's page after {@code since}, merged; a shard that cannot serve fails the pull. */
  CompletionStage<SyncGateway.PullResult> pull(long since, int limit, Map<String, List<String>> claims) {
    List<CompletableFuture<SyncGateway.PullResult>> results = new ArrayList<>(layout.entityIds().size());
    for (String entityId : layout.entityIds()) {
      results.add(Stages.direct(entity(entityId).<SyncGateway.PullResult>ask(
          replyTo -> new SyncGateway.Pull(since, limit, claims, true, replyTo), askTimeout)).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<SyncGateway.PullReply> pages = new ArrayList<>(results.size());
      for (CompletableFuture<SyncGateway.PullResult> result : results) {
        if (result.join() instanceof SyncGateway.PullReply page) {
          pages.add(page);
        } else {
          return result.join();
        }
      }
      return ShardPages.merge(pages, limit);
    });
  }

  private CompletionStage<SyncGateway.PushReply> push(String entityId, String clientId, List<RowDelta> deltas,
                                                      ActorRef<SyncGateway.Broadcast> origin) {
    return Stages.direct(entity(entityId).<SyncGateway.PushReply>ask(
        replyTo -> new SyncGateway.Push(clientId, deltas, origin, replyTo), askTimeout));
  }

  /** As LakeSync's shard router answers: the latest serverHlc, every delta of the push counted. */
  private static SyncGateway.PushReply combined(List<SyncGateway.PushReply> replies, int pushed) {
    long serverHlc = 0;
    long journalNanos = 0; // the shards write in parallel: the slowest write is the push's
    List<RowDelta> ingested = new ArrayList<>();
    for (SyncGateway.PushReply reply : replies) {
      if (!(reply instanceof SyncGateway.PushAccepted accepted)) {
        return reply;
      }
      serverHlc = Math.max(serverHlc, accepted.serverHlc());
      journalNanos = Math.max(journalNanos, accepted.journalNanos());
      ingested.addAll(accepted.deltas());
    }
    return new SyncGateway.PushAccepted(serverHlc, pushed, ingested, journalNanos);
  }

  private EntityRef<SyncGateway.Command> entity(String entityId) {
    return sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, entityId);
  }
}
