package io.lakeshard.core.eventstore;

import java.util.List;

/**
 * Flush {@code flushId} of a store: its next unflushed events, ascending by seqNum and following
 * the previous flush's, of the store's incarnation {@code backendId}. Journaled before it runs,
 * so a retry after a crash writes the same events under the same id.
 */
public record EventFlush(String storeId, String backendId, long flushId, List<StoredEvent> events) {

  public EventFlush {
    events = List.copyOf(events);
  }

  /** The seqNum of the last event (0 for an empty flush). */
  public long upToSeqNum() {
    return events.isEmpty() ? 0 : events.get(events.size() - 1).seqNum();
  }
}
