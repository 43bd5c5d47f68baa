package io.lakeshard.node.claims;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * Subscribes to every claims-version shard and tells which users' versions grew. Ddata notifies a
 * subscriber of a changed key at most every notify-subscribers-interval (500 ms) with the key's
 * whole value, so the growth is found by comparing with the value seen before.
 */
final class ClaimsWatcher {
  private ClaimsWatcher() {}

  static Behavior<Replicator.SubscribeResponse<ClaimsVersionMap>> create(
      ActorRef<Replicator.Command> replicator, List<ClaimsVersionMap.ShardKey> keys, Consumer<Map<String, Long>> raised) {
    return Behaviors.setup(context -> {
      keys.forEach(key -> replicator.tell(new Replicator.Subscribe<>(key, context.getSelf())));
      Map<String, ClaimsVersionMap> seen = new HashMap<>();
      return Behaviors.receiveMessage(message -> {
        if (message instanceof Replicator.Changed<ClaimsVersionMap> changed) {
          ClaimsVersionMap now = changed.dataValue();
          ClaimsVersionMap before = seen.getOrDefault(changed.key().id(), ClaimsVersionMap.EMPTY);
          seen.put(changed.key().id(), now);
          Map<String, Long> grown = grown(before, now);
          if (!grown.isEmpty()) {
            raised.accept(grown);
          }
        }
        return Behaviors.same(); // Deleted: claims versions are never deleted
      });
    });
  }

  /** The entries of {@code now} above {@code before}'s. */
  static Map<String, Long> grown(ClaimsVersionMap before, ClaimsVersionMap now) {
    Map<String, Long> grown = new HashMap<>();
    now.versions().forEach((user, version) -> {
      if (version > before.version(user)) {
        grown.put(user, version);
      }
    });
    return grown;
  }
}
