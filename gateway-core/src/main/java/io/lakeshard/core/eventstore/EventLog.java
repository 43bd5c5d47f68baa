package io.lakeshard.core.eventstore;

import java.util.ArrayList;
import java.util.List;

/** A store's events in memory, in seqNum order (strictly increasing, as the push rule keeps them). */
final class EventLog {
  private final ArrayList<StoredEvent> events;

  EventLog(List<StoredEvent> events) {
    this.events = new ArrayList<>(events);
  }

  void append(List<StoredEvent> more) {
    events.addAll(more);
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
}
