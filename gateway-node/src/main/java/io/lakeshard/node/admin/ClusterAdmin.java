package io.lakeshard.node.admin;

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
 * gateways each node holds, and every live gateway's buffer and last flush. Gathered by asking
 * every node's SyncGateway shard region, then each live gateway.
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

  public CompletionStage<ClusterView> describe() {
    List<Member> members = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(members::add);
    Set<Member> unreachable = Cluster.get(system).state().getUnreachable();
    List<CompletableFuture<RegionState>> regions = members.stream()
        .filter(member -> !unreachable.contains(member))
        .map(member -> regionState(member.address()).toCompletableFuture())
        .toList();
    return CompletableFuture.allOf(regions.toArray(CompletableFuture[]::new))
        .thenCompose(done -> {
          List<RegionState> states = regions.stream().map(CompletableFuture::join).toList();
          List<CompletableFuture<LiveGateway>> gateways = new ArrayList<>();
          for (RegionState state : states) {
            state.gatewaysByShard().values().forEach(ids -> ids.forEach(id -> gateways.add(
                Stages.direct(sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, id)
                        .<SyncGateway.Stats>ask(SyncGateway.GetStats::new, timeout))
                    .thenApply(stats -> new LiveGateway(id, state.node(), stats))
                    .toCompletableFuture())));
          }
          return CompletableFuture.allOf(gateways.toArray(CompletableFuture[]::new))
              .thenApply(all -> render(members, unreachable, states, gateways.stream().map(CompletableFuture::join).toList()));
        });
  }

  private CompletionStage<RegionState> regionState(Address node) {
    ActorSelection region = Adapter.toClassic(system).actorSelection(
        node + "/system/sharding/" + SyncGateway.ENTITY_TYPE_KEY.name());
    return Stages.direct(Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), timeout))
        .thenApply(reply -> {
          Map<String, Set<String>> byShard = new TreeMap<>();
          ((ShardRegion.CurrentShardRegionState) reply).getShards()
              .forEach(shard -> byShard.put(shard.shardId(), shard.getEntityIds()));
          return new RegionState(node, byShard);
        });
  }

  /** GET /v1/admin/cluster. */
  public record ClusterView(List<MemberView> members, List<NodeView> nodes, List<GatewayView> gateways) {}

  public record MemberView(String address, String status, boolean reachable) {}

  public record NodeView(String address, int shards, int gateways) {}

  public record GatewayView(String id, String node, int bufferedDeltas, long bufferedBytes, int sessions,
                            long lastFlushSeq, @UnsignedHlc long flushedUpTo) {}

  private static ClusterView render(List<Member> members, Set<Member> unreachable, List<RegionState> regions,
                                    List<LiveGateway> gateways) {
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
            .toList());
  }
}
