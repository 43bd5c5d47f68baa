package io.lakeshard.node.admin;

import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.core.stream.DurableStream;
import io.lakeshard.core.stream.StreamProtocol;
import io.lakeshard.node.Stages;
import io.lakeshard.node.http.UnsignedHlc;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.Patterns;

/**
 * What an operator sees of the cluster (GET /v1/admin/cluster): its members, the shards and
 * gateways each node holds, every live gateway's buffer and flushing, every live Durable Stream
 * and every live LiveStore store. Gathered by asking every node's SyncGateway, Stream and
 * EventStore shard regions, then each live entity.
 */
public final class ClusterAdmin {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration timeout;

  public ClusterAdmin(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  /** A node and the entities its shard region of one type runs, by shard. */
  private record RegionState(Address node, Map<String, Set<String>> entitiesByShard) {}

  private record LiveGateway(String id, Address node, SyncGateway.Stats stats) {}

  private record LiveStore(Address node, EventStore.Info info) {}

  /** A live stream entity and its answer to Head: described, or refused (deleted, never created). */
  private record LiveStream(String id, Address node, StreamProtocol.HeadReply head) {}

  public CompletionStage<ClusterView> describe() {
    List<Member> members = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(members::add);
    Set<Member> unreachable = Cluster.get(system).state().getUnreachable();
    List<Address> reachable = members.stream().filter(member -> !unreachable.contains(member))
        .map(Member::address).toList();
    CompletableFuture<List<RegionState>> gatewayRegions = regions(reachable, SyncGateway.ENTITY_TYPE_KEY.name());
    CompletableFuture<List<LiveGateway>> gateways = askEach(gatewayRegions,
        (node, id) -> Stages.direct(sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, id)
                .<SyncGateway.Stats>ask(SyncGateway.GetStats::new, timeout))
            .thenApply(stats -> new LiveGateway(id, node, stats)));
    CompletableFuture<List<LiveStore>> stores = askEach(regions(reachable, EventStore.ENTITY_TYPE_KEY.name()),
        (node, id) -> Stages.direct(sharding.entityRefFor(EventStore.ENTITY_TYPE_KEY, id)
                .<EventStore.Info>ask(EventStore.GetInfo::new, timeout))
            .thenApply(info -> new LiveStore(node, info)));
    CompletableFuture<List<LiveStream>> streams = askEach(regions(reachable, DurableStream.ENTITY_TYPE_KEY.name()),
        (node, id) -> Stages.direct(sharding.entityRefFor(DurableStream.ENTITY_TYPE_KEY, id)
                .<StreamProtocol.HeadReply>ask(StreamProtocol.Head::new, timeout))
            .thenApply(head -> new LiveStream(id, node, head)));
    return CompletableFuture.allOf(gateways, stores, streams).thenApply(done -> render(members, unreachable,
        gatewayRegions.join(), gateways.join(), stores.join(), streams.join()));
  }

  private CompletableFuture<List<RegionState>> regions(List<Address> nodes, String typeName) {
    return all(nodes.stream().map(node -> regionState(node, typeName)).toList());
  }

  /** {@code ask} of every entity the regions run, told its node and id. */
  private static <T> CompletableFuture<List<T>> askEach(CompletableFuture<List<RegionState>> regions,
                                                        BiFunction<Address, String, CompletionStage<T>> ask) {
    return regions.thenCompose(states -> all(states.stream().flatMap(region -> region.entitiesByShard().values()
        .stream()
        .flatMap(Set::stream)
        .map(id -> ask.apply(region.node(), id))).toList()));
  }

  private static <T> CompletableFuture<List<T>> all(List<? extends CompletionStage<T>> stages) {
    List<CompletableFuture<T>> futures = stages.stream().map(CompletionStage::toCompletableFuture).toList();
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(done -> futures.stream().map(CompletableFuture::join).toList());
  }

  /** The entities of type {@code typeName} the node's shard region runs, by shard. */
  private CompletionStage<RegionState> regionState(Address node, String typeName) {
    ActorSelection region = Adapter.toClassic(system).actorSelection(node + "/system/sharding/" + typeName);
    return Stages.direct(Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), timeout))
        .thenApply(reply -> {
          Map<String, Set<String>> byShard = new TreeMap<>();
          ((ShardRegion.CurrentShardRegionState) reply).getShards()
              .forEach(shard -> byShard.put(shard.shardId(), shard.getEntityIds()));
          return new RegionState(node, byShard);
        });
  }

  /** GET /v1/admin/cluster. */
  public record ClusterView(List<MemberView> members, List<NodeView> nodes, List<GatewayView> gateways,
                            List<StreamView> streams, List<StoreView> stores) {}

  public record MemberView(String address, String status, boolean reachable) {}

  public record NodeView(String address, int shards, int gateways) {}

  /**
   * A live gateway: its buffer and sessions as {@code admin/metrics} has them, then its flushing
   * since it started on its node ({@code lastFlushAt} null before its first flush there).
   */
  public record GatewayView(String id, String node, int bufferedDeltas, long bufferedBytes, int sessions,
                            long lastFlushSeq, @UnsignedHlc long flushedUpTo, String lastFlushAt, int flushFailures,
                            boolean backpressure, long throttledPushes) {}

  /** A live Durable Stream: its content type, tail offset and whether it is closed. */
  public record StreamView(String id, String node, String contentType, String tail, boolean closed) {}

  /** A live LiveStore store ({@code sessions}: its attached WebSocket sessions). */
  public record StoreView(String id, String node, String backendId, long head, long events, int sessions) {}

  private static ClusterView render(List<Member> members, Set<Member> unreachable, List<RegionState> regions,
                                    List<LiveGateway> gateways, List<LiveStore> stores, List<LiveStream> streams) {
    return new ClusterView(
        members.stream()
            .map(member -> new MemberView(member.address().toString(), member.status().toString(),
                !unreachable.contains(member)))
            .toList(),
        regions.stream()
            .map(region -> new NodeView(region.node().toString(), region.entitiesByShard().size(),
                region.entitiesByShard().values().stream().mapToInt(Set::size).sum()))
            .toList(),
        gateways.stream().map(ClusterAdmin::gatewayView).toList(),
        streams.stream()
            // the registry stream is the node's own bookkeeping; a refused head is no stream (any more)
            .filter(stream -> !stream.id().equals(DurableStream.REGISTRY_ID)
                && stream.head() instanceof StreamProtocol.Described)
            .map(stream -> {
              StreamProtocol.Meta meta = ((StreamProtocol.Described) stream.head()).meta();
              return new StreamView(stream.id(), stream.node().toString(), meta.contentType(), meta.tail(),
                  meta.closed());
            })
            .sorted(Comparator.comparing(StreamView::id))
            .toList(),
        stores.stream()
            .map(store -> new StoreView(store.info().storeId(), store.node().toString(), store.info().backendId(),
                store.info().head(), store.info().events(), store.info().subscribers()))
            .toList());
  }

  private static GatewayView gatewayView(LiveGateway gateway) {
    SyncGateway.Stats stats = gateway.stats();
    SyncGateway.FlushStatus flushing = stats.flushing();
    return new GatewayView(gateway.id(), gateway.node().toString(), stats.bufferedDeltas(), stats.bufferedBytes(),
        stats.sessions(), stats.lastFlushSeq(), stats.flushedUpTo(),
        flushing.lastFlushAtMillis() == 0 ? null : Instant.ofEpochMilli(flushing.lastFlushAtMillis()).toString(),
        flushing.failuresInARow(), flushing.backpressure(), flushing.throttledPushes());
  }
}
