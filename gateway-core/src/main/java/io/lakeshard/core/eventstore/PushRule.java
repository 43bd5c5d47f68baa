package io.lakeshard.core.eventstore;

import io.lakeshard.core.eventstore.EventStore.BackendIdMismatch;
import io.lakeshard.core.eventstore.EventStore.InvalidPush;
import io.lakeshard.core.eventstore.EventStore.PushReply;
import io.lakeshard.core.eventstore.EventStore.ServerAhead;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether a non-empty batch may be appended at {@code head}, in LiveStore's order (push.js: the
 * backendId, then the head) after the limits: the batch's shape and size, a {@code Some}
 * backendId equal to the store's, the first event's parent equal to the head, and a chain inside
 * the batch (each parent the previous seqNum, each seqNum above its parent; LiveStore checks
 * only the first parent). Pure: the caller applies what it accepts.
 */
final class PushRule {
  private PushRule() {}

  /** Either the events to append (encoded once, stamped {@code createdAt}) or the refusal. */
  record Decision(List<StoredEvent> accepted, PushReply refused) {}

  static Decision decide(List<LiveEvent> batch, Optional<String> backendId, String storeBackendId, long head,
                         long createdAt, EventStoreSettings limits) {
    PushReply refused = refusal(batch, backendId, storeBackendId, head, limits);
    if (refused != null) {
      return new Decision(List.of(), refused);
    }
    // Encoded only once the cheap checks passed (under contention most pushes are ServerAhead).
    List<StoredEvent> events = new ArrayList<>(batch.size());
    long bytes = 0;
    for (LiveEvent event : batch) {
      StoredEvent stored = new StoredEvent(event, createdAt, EventJson.of(event));
      if (EventPages.pageBytesOf(stored.json()) > limits.pageBytes()) {
        return new Decision(List.of(), new InvalidPush("event " + event.seqNum() + " encodes to "
            + stored.json().size() + " bytes: it fits no pull page of " + limits.pageBytes() + " bytes"));
      }
      bytes += stored.json().size();
      events.add(stored);
    }
    if (bytes > limits.maxMessageBytes()) {
      return new Decision(List.of(), new InvalidPush("the batch encodes to " + bytes + " bytes, over the limit of "
          + limits.maxMessageBytes()));
    }
    return new Decision(events, null);
  }

  /**
   * The refusal of the checks that need no encoding (shape, backendId, chain at {@code head}), or
   * null when they pass; {@link #decide} may still refuse on the encoded size.
   */
  static PushReply refusal(List<LiveEvent> batch, Optional<String> backendId, String storeBackendId, long head,
                           EventStoreSettings limits) {
    PushReply refused = shape(batch, limits);
    if (refused == null && backendId.isPresent() && !backendId.get().equals(storeBackendId)) {
      refused = new BackendIdMismatch(storeBackendId, backendId.get());
    }
    return refused != null ? refused : chain(batch, head);
  }

  private static PushReply shape(List<LiveEvent> batch, EventStoreSettings limits) {
    if (batch.size() > limits.maxPushEvents()) {
      return new InvalidPush("a push holds at most " + limits.maxPushEvents() + " events, not " + batch.size());
    }
    for (LiveEvent event : batch) {
      if (event == null || event.name() == null || event.clientId() == null || event.sessionId() == null) {
        return new InvalidPush("every event needs a name, a clientId and a sessionId");
      }
    }
    return null;
  }

  /**
   * ServerAhead{head, providedNum}: {@code providedNum} is the parent of the first event that
   * breaks the chain, so {@code batch[0].parentSeqNum} when the batch does not start at the head
   * (LiveStore's answer) and the offending parent when it breaks inside.
   */
  private static PushReply chain(List<LiveEvent> batch, long head) {
    long expectedParent = head;
    for (LiveEvent event : batch) {
      if (event.parentSeqNum() != expectedParent || event.seqNum() <= event.parentSeqNum()) {
        return new ServerAhead(head, event.parentSeqNum());
      }
      expectedParent = event.seqNum();
    }
    return null;
  }
}
