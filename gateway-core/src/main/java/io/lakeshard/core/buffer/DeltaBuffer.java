package io.lakeshard.core.buffer;

import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.RowVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A gateway's accepted deltas: the log in acceptance order, the row index that LWW merges
 * against, and the deltaIds seen over the gateway's life (for dedupe). Mutable; owned by one
 * entity.
 */
public final class DeltaBuffer {

  /** A delta as accepted: {@code stamp} is the gateway's acceptance stamp, strictly increasing. */
  public record Accepted(RowDelta delta, long stamp) {}

  /** One page of a pull. */
  public record Page(List<Accepted> deltas, boolean hasMore) {}

  private final List<Accepted> log = new ArrayList<>();
  private final Map<String, RowVersion> rows = new HashMap<>();
  private final Set<String> seenDeltaIds = new HashSet<>();
  private long bytes;

  public boolean hasSeen(String deltaId) {
    return seenDeltaIds.contains(deltaId);
  }

  public RowVersion row(String rowKey) {
    return rows.getOrDefault(rowKey, RowVersion.ABSENT);
  }

  /** Appends a delta that won its merge; stamps must arrive in increasing order. */
  public void append(Accepted accepted, RowVersion rowAfter) {
    if (!log.isEmpty() && Long.compareUnsigned(accepted.stamp(), lastStamp()) <= 0) {
      throw new IllegalStateException("stamp " + accepted.stamp() + " not after " + lastStamp());
    }
    log.add(accepted);
    rows.put(accepted.delta().rowKey(), rowAfter);
    seenDeltaIds.add(accepted.delta().deltaId());
    bytes += accepted.delta().sizeBytes();
  }

  /** Deltas stamped after {@code since}, oldest first, at most {@code limit}. */
  public Page since(long since, int limit) {
    int from = firstAfter(since);
    int to = Math.min(log.size(), from + limit);
    return new Page(List.copyOf(log.subList(from, to)), to < log.size());
  }

  private int firstAfter(long stamp) {
    int low = 0;
    int high = log.size();
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (Long.compareUnsigned(log.get(mid).stamp(), stamp) <= 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  public long lastStamp() {
    return log.isEmpty() ? 0L : log.get(log.size() - 1).stamp();
  }

  public int size() {
    return log.size();
  }

  public int rowCount() {
    return rows.size();
  }

  public long bytes() {
    return bytes;
  }
}
