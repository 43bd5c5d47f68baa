package io.lakeshard.core.eventstore;

import io.lakeshard.core.CborSerializable;

/**
 * How far a store's events are in the lake: flush {@code flushId} (0: none yet) committed the
 * events up to {@code upToSeqNum}, {@code events} of them in all flushes, at {@code atMillis}.
 */
record FlushPoint(long flushId, long upToSeqNum, long events, long atMillis) implements CborSerializable {
  static final FlushPoint NONE = new FlushPoint(0, 0, 0, 0);

  /**
   * How many flushed events have a seqNum above {@code seqNum}: exact when seqNums are dense (the
   * real client numbers each event its parent + 1), an estimate otherwise, but never 0 while
   * some do, so a page's NoMore is always right (LiveStore's client uses the count for progress).
   */
  long eventsAfter(long seqNum) {
    return seqNum >= upToSeqNum ? 0 : Math.max(1, Math.min(events, upToSeqNum - seqNum));
  }
}
