package io.lakeshard.node.journal;

import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * One persistence id in the index: the location of each live event by sequence number (in
 * ascending order, as they were written), the highest sequence number ever written and the
 * deletion mark. Written by the journal's writer thread, read by replays: every method locks.
 * A location is {@code segmentId << 32 | offset}.
 */
final class PersistenceLog {
  private long[] sequenceNrs = new long[4];
  private long[] locations = new long[4];
  private int start;
  private int end;
  private long highest;
  private long deletedTo;

  static long location(long segmentId, long offset) {
    return segmentId << 32 | offset;
  }

  static long segmentOf(long location) {
    return location >>> 32;
  }

  static long offsetOf(long location) {
    return location & 0xFFFF_FFFFL;
  }

  synchronized long highest() {
    return highest;
  }

  synchronized long deletedTo() {
    return deletedTo;
  }

  synchronized int liveEvents() {
    return end - start;
  }

  /** A new event, above every one before it. */
  synchronized void append(long sequenceNr, long location) {
    if (sequenceNr <= highest) {
      throw new IllegalStateException("sequence number " + sequenceNr + " is not above the highest, " + highest);
    }
    if (end == sequenceNrs.length) {
      if (start > 0 && start >= end / 2) {
        System.arraycopy(sequenceNrs, start, sequenceNrs, 0, end - start);
        System.arraycopy(locations, start, locations, 0, end - start);
        end -= start;
        start = 0;
      } else {
        sequenceNrs = Arrays.copyOf(sequenceNrs, sequenceNrs.length * 2);
        locations = Arrays.copyOf(locations, locations.length * 2);
      }
    }
    sequenceNrs[end] = sequenceNr;
    locations[end++] = location;
    highest = sequenceNr;
  }

  /** Deletes every event up to {@code toSequenceNr}, telling {@code removed} each one's location. */
  synchronized void deleteTo(long toSequenceNr, LongConsumer removed) {
    deletedTo = Math.max(deletedTo, toSequenceNr);
    while (start < end && sequenceNrs[start] <= deletedTo) {
      removed.accept(locations[start++]);
    }
    if (start == end) {
      start = 0;
      end = 0;
    }
  }

  /** A segment's mark, at start: what an older, removed segment held. */
  synchronized void mark(long markedHighest, long markedDeletedTo, LongConsumer removed) {
    highest = Math.max(highest, markedHighest);
    deleteTo(markedDeletedTo, removed);
  }

  /** Calls {@code each} with the sequence number and location of each live event in the range, at most {@code max}. */
  synchronized int forEach(long from, long to, int max, Entry each) {
    int index = Arrays.binarySearch(sequenceNrs, start, end, from);
    int count = 0;
    for (int i = index >= 0 ? index : -index - 1; i < end && sequenceNrs[i] <= to && count < max; i++, count++) {
      each.accept(sequenceNrs[i], locations[i]);
    }
    return count;
  }

  interface Entry {
    void accept(long sequenceNr, long location);
  }
}
