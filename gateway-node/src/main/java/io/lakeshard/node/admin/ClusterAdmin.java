package io.lakeshard.node.admin;

import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.protocol.JsonCodec;
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

  public CompletionStage<byte[]> describe() {
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
                sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, id)
                    .<SyncGateway.Stats>ask(SyncGateway.GetStats::new, timeout)
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
    return Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), timeout)
        .thenApply(reply -> {
          Map<String, Set<String>> byShard = new TreeMap<>();
          ((ShardRegion.CurrentShardRegionState) reply).getShards()
              .forEach(shard -> byShard.put(shard.shardId(), shard.getEntityIds()));
          return new RegionState(node, byShard);
        });
  }

  private static byte[] render(List<Member> members, Set<Member> unreachable, List<RegionState> regions,
                               List<LiveGateway> gateways) {
    return JsonCodec.write(gen -> {
      gen.writeStartObject();
      gen.writeArrayFieldStart("members");
      for (Member member : members) {
        gen.writeStartObject();
        gen.writeStringField("address", member.address().toString());
        gen.writeStringField("status", member.status().toString());
        gen.writeBooleanField("reachable", !unreachable.contains(member));
        gen.writeEndObject();
      }
      gen.writeEndArray();
      gen.writeArrayFieldStart("nodes");
      for (RegionState region : regions) {
        gen.writeStartObject();
        gen.writeStringField("address", region.node().toString());
        gen.writeNumberField("shards", region.gatewaysByShard().size());
        gen.writeNumberField("gateways", region.gatewaysByShard().values().stream().mapToInt(Set::size).sum());
        gen.writeEndObject();
      }
      gen.writeEndArray();
      gen.writeArrayFieldStart("gateways");
      for (LiveGateway gateway : gateways) {
        gen.writeStartObject();
        gen.writeStringField("id", gateway.id());
        gen.writeStringField("node", gateway.node().toString());
        gen.writeNumberField("bufferedDeltas", gateway.stats().bufferedDeltas());
        gen.writeNumberField("bufferedBytes", gateway.stats().bufferedBytes());
        gen.writeNumberField("sessions", gateway.stats().sessions());
        gen.writeNumberField("lastFlushSeq", gateway.stats().lastFlushSeq());
        gen.writeStringField("flushedUpTo", Long.toUnsignedString(gateway.stats().flushedUpTo()));
        gen.writeEndObject();
      }
      gen.writeEndArray();
      gen.writeEndObject();
    });
  }
}
