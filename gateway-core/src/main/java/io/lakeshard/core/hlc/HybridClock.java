package io.lakeshard.core.hlc;

import java.util.function.LongSupplier;

/**
 * Hybrid logical clock as LakeSync encodes it: wall-clock milliseconds in the high 48 bits, a
 * 16-bit logical counter in the low 16. Values from {@link #now()} strictly increase.
 */
public final class HybridClock {
  public static final int COUNTER_BITS = 16;
  private static final long COUNTER_MASK = (1L << COUNTER_BITS) - 1;

  private final LongSupplier wallMillis;
  private final long maxDriftMillis;
  private long last;

  public HybridClock(LongSupplier wallMillis, long maxDriftMillis) {
    this.wallMillis = wallMillis;
    this.maxDriftMillis = maxDriftMillis;
  }

  public static long encode(long wallMillis, int counter) {
    return (wallMillis << COUNTER_BITS) | (counter & COUNTER_MASK);
  }

  public static long wallOf(long hlc) {
    return hlc >>> COUNTER_BITS;
  }

  public static int counterOf(long hlc) {
    return (int) (hlc & COUNTER_MASK);
  }

  /** The next timestamp, after every one this clock has issued or received. */
  public long now() {
    long wall = Math.max(wallMillis.getAsLong(), wallOf(last));
    long next = wall == wallOf(last) ? last + 1 : encode(wall, 0);
    last = next; // a counter overflow carries into the wall part, which keeps it increasing
    return next;
  }

  /**
   * Merges a remote timestamp into this clock.
   *
   * @throws ClockDriftException if the remote wall clock is ahead of ours by more than the limit
   */
  public void receive(long remote) throws ClockDriftException {
    long physical = wallMillis.getAsLong();
    long drift = wallOf(remote) - physical;
    if (drift > maxDriftMillis) {
      throw new ClockDriftException(drift, maxDriftMillis);
    }
    if (Long.compareUnsigned(remote, last) > 0) {
      last = remote;
    }
  }

  /** Moves the clock past a timestamp it issued before, e.g. while recovering. */
  public void advanceTo(long issued) {
    if (Long.compareUnsigned(issued, last) > 0) {
      last = issued;
    }
  }

  public long last() {
    return last;
  }
}
