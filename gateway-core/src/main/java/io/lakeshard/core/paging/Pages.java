package io.lakeshard.core.paging;

import java.util.List;
import java.util.function.ToLongFunction;

/** Cursor search and byte-budgeted pages over lists kept in cursor order (gateway buffers, stream tails). */
public final class Pages {
  private Pages() {}

  /** A cursor-ordered list's key, compared as the list orders it. */
  @FunctionalInterface
  public interface Position<T> {
    /** Negative, zero or positive as {@code item} lies before, at or after the cursor. */
    int compareToCursor(T item);
  }

  /** Index of the first item after the cursor (the list's size when there is none). */
  public static <T> int firstAfter(List<T> sorted, Position<T> cursor) {
    int low = 0;
    int high = sorted.size();
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (cursor.compareToCursor(sorted.get(mid)) <= 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  /**
   * How many leading items fit in {@code budget} bytes: at least one when there is one, so a
   * single item larger than the budget still makes progress.
   */
  public static <T> int fitting(List<T> items, ToLongFunction<T> size, long budget) {
    int fits = 0;
    long bytes = 0;
    while (fits < items.size() && (fits == 0 || bytes + size.applyAsLong(items.get(fits)) <= budget)) {
      bytes += size.applyAsLong(items.get(fits++));
    }
    return fits;
  }
}
