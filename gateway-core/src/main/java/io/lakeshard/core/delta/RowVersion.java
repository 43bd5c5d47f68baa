package io.lakeshard.core.delta;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The last writer of each column of one row, and whether the row is deleted: what per-column
 * last-writer-wins needs to decide which parts of an incoming delta win. Immutable.
 */
public record RowVersion(Map<String, Writer> columns, Writer deletedBy) {

  /** Who wrote a value: ordered by HLC, ties broken by the higher clientId. */
  public record Writer(long hlc, String clientId) implements Comparable<Writer> {
    @Override
    public int compareTo(Writer other) {
      int byHlc = Long.compareUnsigned(hlc, other.hlc);
      return byHlc != 0 ? byHlc : clientId.compareTo(other.clientId);
    }
  }

  /** What part of a delta won against this row, and the row afterwards. */
  public record Merge(RowDelta winning, RowVersion after) {}

  public static final RowVersion ABSENT = new RowVersion(Map.of(), null);

  public boolean deleted() {
    return deletedBy != null;
  }

  /**
   * Merges a delta. A DELETE wins when it is newer than every write to the row; a write to a
   * deleted row wins (and resurrects it) only when newer than the delete; otherwise each column
   * wins on its own. Returns {@code null} when nothing in the delta wins.
   */
  public Merge merge(RowDelta delta) {
    Writer incoming = new Writer(delta.hlc(), delta.clientId());
    if (delta.op() == Op.DELETE) {
      if (latestWrite() != null && incoming.compareTo(latestWrite()) <= 0) {
        return null;
      }
      return new Merge(delta.withColumns(List.of()), new RowVersion(Map.of(), incoming));
    }
    if (deleted() && incoming.compareTo(deletedBy) <= 0) {
      return null;
    }
    Map<String, Writer> after = deleted() ? new HashMap<>() : new HashMap<>(columns);
    List<ColumnValue> kept = new ArrayList<>(delta.columns().size());
    for (ColumnValue column : delta.columns()) {
      Writer current = after.get(column.column());
      if (current == null || incoming.compareTo(current) > 0) {
        after.put(column.column(), incoming);
        kept.add(column);
      }
    }
    if (kept.isEmpty() && !deleted() && !columns.isEmpty()) {
      return null;
    }
    RowDelta winning = kept.size() == delta.columns().size() ? delta : delta.withColumns(kept);
    return new Merge(winning, new RowVersion(Map.copyOf(after), null));
  }

  private Writer latestWrite() {
    Writer latest = deletedBy;
    for (Writer writer : columns.values()) {
      if (latest == null || writer.compareTo(latest) > 0) {
        latest = writer;
      }
    }
    return latest;
  }
}
