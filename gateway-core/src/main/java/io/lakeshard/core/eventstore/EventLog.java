package io.lakeshard.core.eventstore;

import java.util.ArrayList;
import java.util.List;

/**
 * A store's unflushed events in memory, in seqNum order (strictly increasing, as the push rule
 * keeps them), and their encoded bytes (the flush alarm's measure, summed once per event).
 */
final class EventLog {
  private final ArrayList<StoredEvent> events;
  private long bytes;

  EventLog(List<StoredEvent> events) {
    this.events = new ArrayList<>(events);
    events.forEach(event -> bytes += event.json().size());
  }

  void append(List<StoredEvent> more) {
    events.addAll(more);
    more.forEach(event -> bytes += event.json().size());
  }

  /** Drops the events up to {@code seqNum} (they are in the lake). */
  void dropThrough(long seqNum) {
    int end = indexAfter(seqNum);
    for (int i = 0; i < end; i++) {
      bytes -= events.get(i).json().size();
    }
    events.subList(0, end).clear();
  }

  /** The index of the first event with {@code seqNum > afterSeqNum} (binary search). */
  int indexAfter(long afterSeqNum) {
    int low = 0;
    int high = events.size();
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (events.get(mid).seqNum() <= afterSeqNum) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  /** The live list: read it on the ledger's thread only, copy what leaves it. */
  List<StoredEvent> events() {
    return events;
  }

  int size() {
    return events.size();
  }

  long bytes() {
    return bytes;
  }

  /** When the oldest event here was accepted (0 when empty): the flush alarm's clock. */
  long oldestCreatedAt() {
    return events.isEmpty() ? 0 : events.get(0).createdAt();
  }
}
