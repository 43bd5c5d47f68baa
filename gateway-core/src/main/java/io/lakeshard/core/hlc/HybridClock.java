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
    return tick(wallMillis.getAsLong());
  }

  private long tick(long physical) {
    long wall = Math.max(physical, wallOf(last));
    long next = wall == wallOf(last) ? last + 1 : encode(wall, 0);
    last = next; // a counter overflow carries into the wall part, which keeps it increasing
    return next;
  }

  /**
   * A timestamp to hand out without journaling it (a reply's server HLC, which clients pull
   * from): {@link #now()}, unless this clock runs ahead of the wall clock's current millisecond
   * (after {@link #leadWallBy}, or a client stamp ahead of ours), then that millisecond's last HLC.
   * Either way every later {@link #now()} is above it, and it never passes the wall clock, so a
   * clock that is not journaled cannot leave a client's cursor above where the next owner of
   * the gateway starts (see {@link #leadWallBy}).
   */
  public long nowWithinWall() {
    long physical = wallMillis.getAsLong();
    long endOfMillisecond = encode(physical, (int) COUNTER_MASK);
    return Long.compareUnsigned(last, endOfMillisecond) < 0 ? tick(physical) : endOfMillisecond;
  }

  /**
   * Moves the clock to at least the wall clock plus {@code millis}, done when a gateway recovers.
   * A previous owner, on another node or before a restart, handed out timestamps up to its own
   * wall clock ({@link #nowWithinWall}) that no journal holds; if its wall clock was ahead of
   * ours by less than {@code millis}, every timestamp from here on is above them.
   */
  public void leadWallBy(long millis) {
    advanceTo(encode(wallMillis.getAsLong() + millis, 0));
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
