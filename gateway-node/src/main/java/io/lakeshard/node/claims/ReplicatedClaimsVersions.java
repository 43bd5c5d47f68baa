package io.lakeshard.node.claims;

import io.lakeshard.node.Stages;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims versions in Pekko Distributed Data, durable on disk ({@link io.lakeshard.node.ddata.FileDurableStore}; the
 * {@code claims-versions-*} keys in application.conf). Users are spread over {@link #SHARDS}
 * top-level keys by the hash of their id: one key per user would pass ddata's advised 100 000
 * top-level entries at scale, one key for everyone would be one huge value written to disk on
 * every raise; at a million users a shard holds ~1 000 entries (~45 KB), and a raise travels as a
 * one-entry delta.
 *
 * <p>Reads are {@code ReadMajority} and writes {@code WriteMajority}, so a read sees every raise
 * this class acknowledged. Fail closed: a node that has not joined yet knows no other replica
 * (ddata then answers a majority read from the local replica alone), so it refuses; a node that
 * cannot reach a majority within the timeout gets GetFailure — both are
 * {@link ClaimsUnavailableException}, never 0.
 */
public final class ReplicatedClaimsVersions implements ClaimsVersions {
  private static final Logger log = LoggerFactory.getLogger(ReplicatedClaimsVersions.class);
  /** Fixed for good: a user's shard is where its durable version is, changing it would lose them. */
  static final int SHARDS = 1024;
  static final String KEY_PREFIX = "claims-versions-";
  /** The ask outlives ddata's own timeout, so ddata's failure answer arrives first. */
  private static final Duration ASK_MARGIN = Duration.ofSeconds(1);

  private final ActorSystem<?> system;
  private final ActorRef<Replicator.Command> replicator;
  private final Duration timeout;
  private final List<ClaimsVersionMap.ShardKey> keys =
      IntStream.range(0, SHARDS).mapToObj(shard -> new ClaimsVersionMap.ShardKey(KEY_PREFIX + shard)).toList();
  private final List<BiConsumer<String, Long>> listeners = new CopyOnWriteArrayList<>();

  public ReplicatedClaimsVersions(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.replicator = DistributedData.get(system).replicator();
    this.timeout = timeout;
    system.systemActorOf(ClaimsWatcher.create(replicator, keys, this::tell), "claims-versions-watcher", Props.empty());
  }

  @Override
  public CompletionStage<Long> current(String userId) {
    return majorityRead(userId);
  }

  @Override
  public CompletionStage<Long> raise(String userId, OptionalLong version) {
    // The bump is based on a majority read, not on this node's replica, which may lag behind.
    return majorityRead(userId).thenCompose(known -> {
      long held = Math.max(known, version.orElse(known + 1));
      return write(userId, held);
    });
  }

  @Override
  public void onRaised(BiConsumer<String, Long> listener) {
    listeners.add(listener);
  }

  private CompletionStage<Long> majorityRead(String userId) {
    if (!joined()) {
      return unavailable("this node has not joined the cluster, so it knows no other replica");
    }
    ClaimsVersionMap.ShardKey key = keyOf(userId);
    CompletionStage<Replicator.GetResponse<ClaimsVersionMap>> reply = AskPattern.ask(replicator,
        replyTo -> new Replicator.Get<>(key, new Replicator.ReadMajority(timeout), replyTo),
        timeout.plus(ASK_MARGIN), system.scheduler());
    return Stages.direct(reply).handle((response, error) -> {
      if (response instanceof Replicator.GetSuccess<ClaimsVersionMap> found) {
        return found.get(key).version(userId);
      }
      if (response instanceof Replicator.NotFound<ClaimsVersionMap>) {
        return 0L; // no user of this shard was ever raised: a known state
      }
      throw new ClaimsUnavailableException("no majority answered a read of " + key.id() + " within " + timeout);
    });
  }

  private CompletionStage<Long> write(String userId, long version) {
    ClaimsVersionMap.ShardKey key = keyOf(userId);
    CompletionStage<Replicator.UpdateResponse<ClaimsVersionMap>> reply = AskPattern.ask(replicator,
        replyTo -> new Replicator.Update<>(key, ClaimsVersionMap.EMPTY, new Replicator.WriteMajority(timeout), replyTo,
            map -> map.raised(userId, version)),
        timeout.plus(ASK_MARGIN), system.scheduler());
    return Stages.direct(reply).handle((response, error) -> {
      if (response instanceof Replicator.UpdateSuccess<ClaimsVersionMap>) {
        return version;
      }
      if (response instanceof Replicator.StoreFailure<ClaimsVersionMap>) {
        log.error("claims version of user {} could not be stored durably", userId);
      }
      // UpdateTimeout: the raise is on this node and maybe others, not known to be on a majority
      throw new ClaimsUnavailableException("no majority acknowledged a raise in " + key.id() + " within " + timeout);
    });
  }

  private boolean joined() {
    MemberStatus status = Cluster.get(system).selfMember().status();
    return status == MemberStatus.up() || status == MemberStatus.leaving() || status == MemberStatus.exiting();
  }

  private ClaimsVersionMap.ShardKey keyOf(String userId) {
    return keys.get(Math.floorMod(userId.hashCode(), SHARDS)); // String.hashCode is specified, the same on every JVM
  }

  private void tell(Map<String, Long> raised) {
    raised.forEach((user, version) -> listeners.forEach(listener -> {
      try {
        listener.accept(user, version);
      } catch (RuntimeException e) { // one failing listener must not stop the others, nor the watcher
        log.error("a claims-version listener failed for user {}", user, e);
      }
    }));
  }

  private static CompletionStage<Long> unavailable(String why) {
    return CompletableFuture.failedFuture(new ClaimsUnavailableException(why));
  }
}
