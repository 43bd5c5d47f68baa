package io.lakeshard.core.eventstore;

import io.lakeshard.core.eventstore.EventStore.LiveBatch;
import io.lakeshard.core.eventstore.EventStore.LiveUpdate;
import io.lakeshard.core.eventstore.EventStore.PullNeeded;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A store's live subscribers: attached ones get every accepted batch; pending ones asked to
 * subscribe and wait for the ledger's answer (the events they missed), so they get nothing twice
 * and nothing out of order meanwhile.
 */
final class LiveSubscribers {
  private final String storeId;
  private final String backendId;
  private final Set<ActorRef<LiveUpdate>> attached = new LinkedHashSet<>();
  private final Set<ActorRef<LiveUpdate>> pending = new HashSet<>();

  LiveSubscribers(String storeId, String backendId) {
    this.storeId = storeId;
    this.backendId = backendId;
  }

  /** True if the subscriber is new (then it is pending until {@link #attach}). */
  boolean request(ActorRef<LiveUpdate> subscriber) {
    return !attached.contains(subscriber) && pending.add(subscriber);
  }

  /**
   * The ledger's answer for a pending subscriber: sends it {@code first} (what it missed, or null
   * for nothing) and attaches it, unless {@code first} tells it to pull or it left meanwhile.
   * True if it is attached now.
   */
  boolean attach(ActorRef<LiveUpdate> subscriber, LiveUpdate first) {
    if (!pending.remove(subscriber)) {
      return false;
    }
    if (first != null) {
      subscriber.tell(first);
    }
    return !(first instanceof PullNeeded) && attached.add(subscriber);
  }

  /** True if it was pending or attached. */
  boolean remove(ActorRef<LiveUpdate> subscriber) {
    return attached.remove(subscriber) | pending.remove(subscriber);
  }

  /** One message for all: the batch is encoded per subscriber only if it leaves the node. */
  void broadcast(List<StoredEvent> events) {
    if (!attached.isEmpty()) {
      LiveBatch batch = new LiveBatch(storeId, backendId, events);
      attached.forEach(subscriber -> subscriber.tell(batch));
    }
  }

  int size() {
    return attached.size();
  }
}
