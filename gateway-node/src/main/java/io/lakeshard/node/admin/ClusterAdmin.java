package io.lakeshard.node.admin;

import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.node.Stages;
import io.lakeshard.node.http.UnsignedHlc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * gateways each node holds, every live gateway's buffer and last flush, and every live LiveStore
 * store. Gathered by asking every node's SyncGateway and EventStore shard regions, then each
 * live entity.
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

  /** A node and the gateways its shard region runs, by shard. */
  private record RegionState(Address node, Map<String, Set<String>> gatewaysByShard) {}

  private record LiveGateway(String id, Address node, SyncGateway.Stats stats) {}

  private record LiveStore(Address node, EventStore.Info info) {}

  public CompletionStage<ClusterView> describe() {
    List<Member> members = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(members::add);
    Set<Member> unreachable = Cluster.get(system).state().getUnreachable();
    List<Address> reachable = members.stream().filter(member -> !unreachable.contains(member))
        .map(Member::address).toList();
    CompletableFuture<List<RegionState>> gatewayRegions = all(reachable.stream()
        .map(node -> regionState(node, SyncGateway.ENTITY_TYPE_KEY.name())).toList());
    CompletableFuture<List<LiveStore>> stores = all(reachable.stream()
        .map(node -> regionState(node, EventStore.ENTITY_TYPE_KEY.name())).toList())
        .thenCompose(regions -> all(regions.stream().flatMap(region -> region.gatewaysByShard().values().stream()
            .flatMap(Set::stream)
            .map(id -> Stages.direct(sharding.entityRefFor(EventStore.ENTITY_TYPE_KEY, id)
                    .<EventStore.Info>ask(EventStore.GetInfo::new, timeout))
                .thenApply(info -> new LiveStore(region.node(), info)))).toList()));
    return gatewayRegions
        .thenCompose(states -> {
          List<CompletionStage<LiveGateway>> gateways = new ArrayList<>();
          for (RegionState state : states) {
            state.gatewaysByShard().values().forEach(ids -> ids.forEach(id -> gateways.add(
                Stages.direct(sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, id)
                        .<SyncGateway.Stats>ask(SyncGateway.GetStats::new, timeout))
                    .thenApply(stats -> new LiveGateway(id, state.node(), stats)))));
          }
          return all(gateways).thenCombine(stores, (live, liveStores) -> render(members, unreachable, states, live,
              liveStores));
        });
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
                            List<StoreView> stores) {}

  public record MemberView(String address, String status, boolean reachable) {}

  public record NodeView(String address, int shards, int gateways) {}

  public record GatewayView(String id, String node, int bufferedDeltas, long bufferedBytes, int sessions,
                            long lastFlushSeq, @UnsignedHlc long flushedUpTo) {}

  /** A live LiveStore store ({@code sessions}: its attached WebSocket sessions). */
  public record StoreView(String id, String node, String backendId, long head, long events, int sessions) {}

  private static ClusterView render(List<Member> members, Set<Member> unreachable, List<RegionState> regions,
                                    List<LiveGateway> gateways, List<LiveStore> stores) {
    return new ClusterView(
        members.stream()
            .map(member -> new MemberView(member.address().toString(), member.status().toString(),
                !unreachable.contains(member)))
            .toList(),
        regions.stream()
            .map(region -> new NodeView(region.node().toString(), region.gatewaysByShard().size(),
                region.gatewaysByShard().values().stream().mapToInt(Set::size).sum()))
            .toList(),
        gateways.stream()
            .map(gateway -> new GatewayView(gateway.id(), gateway.node().toString(), gateway.stats().bufferedDeltas(),
                gateway.stats().bufferedBytes(), gateway.stats().sessions(), gateway.stats().lastFlushSeq(),
                gateway.stats().flushedUpTo()))
            .toList(),
        stores.stream()
            .map(store -> new StoreView(store.info().storeId(), store.node().toString(), store.info().backendId(),
                store.info().head(), store.info().events(), store.info().subscribers()))
            .toList());
  }
}
