package io.lakeshard.core.stream;

import java.util.regex.Pattern;

/**
 * Offsets are opaque to clients but must sort lexicographically in append order: two zero-padded
 * decimal fields, {@code <epoch>_<position>}. The position grows by each message's stored size plus
 * a fixed frame overhead, so it never repeats even for messages of equal content; the epoch field
 * stays 0 and leaves room for a future re-sequencing (compaction) without breaking the ordering.
 */
public final class Offsets {
  /** Before the first message (the position of an empty stream, and where a fork at 0 starts). */
  public static final String ZERO = format(0, 0);
  /** Read from the start of the stream. */
  public static final String BEGINNING = "-1";
  /** The current tail: catch-up reads return nothing, live reads wait for the next append. */
  public static final String NOW = "now";

  private static final Pattern OFFSET = Pattern.compile("\\d{1,16}_\\d{1,16}");
  private static final long FRAME_OVERHEAD = 5;

  private Offsets() {}

  static String format(long epoch, long position) {
    return String.format("%016d_%016d", epoch, position);
  }

  /** True for a concrete offset this server could have issued (sentinels excluded). */
  public static boolean isOffset(String value) {
    return OFFSET.matcher(value).matches();
  }

  /** A value a reader may send: a concrete offset or one of the sentinels. */
  public static boolean isReadable(String value) {
    return BEGINNING.equals(value) || NOW.equals(value) || isOffset(value);
  }

  /** The offset after a message of {@code size} stored bytes appended at {@code tail}. */
  static String next(String tail, int size) {
    int split = tail.indexOf('_');
    long epoch = Long.parseLong(tail.substring(0, split));
    long position = Long.parseLong(tail.substring(split + 1));
    return format(epoch, position + FRAME_OVERHEAD + size);
  }

  /** Normalizes a concrete offset to the padded form so that string order is offset order. */
  static String canonical(String offset) {
    int split = offset.indexOf('_');
    return format(Long.parseLong(offset.substring(0, split)), Long.parseLong(offset.substring(split + 1)));
  }
}
