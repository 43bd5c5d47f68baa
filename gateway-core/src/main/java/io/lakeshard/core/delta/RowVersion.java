package io.lakeshard.core.delta;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The last writer of each column of one row, and whether the row is deleted: what per-column
 * last-writer-wins needs to decide which parts of an incoming delta win. Immutable.
 *
 * <p>A gateway keeps one for every row it has seen and merges one per accepted delta, so it is
 * parallel arrays rather than a map of writer objects: rows have a handful of columns, where a
 * scan beats hashing and the arrays are a few objects for the collector instead of dozens.
 * Snapshots hold it in its original JSON shape, {@code {columns: {name: writer}, deletedBy}}.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE, getterVisibility = JsonAutoDetect.Visibility.NONE,
    isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public final class RowVersion {

  /** Who wrote a value: ordered by HLC, ties broken by the higher clientId. */
  public record Writer(long hlc, String clientId) {}

  /** What part of a delta won against this row, and the row afterwards. */
  public record Merge(RowDelta winning, RowVersion after) {}

  private static final String[] NO_COLUMNS = new String[0];
  private static final long[] NO_HLCS = new long[0];

  public static final RowVersion ABSENT = new RowVersion(NO_COLUMNS, NO_HLCS, NO_COLUMNS, 0, null);

  /** Column i was last written at {@code hlcs[i]} by {@code clientIds[i]}. */
  private final String[] columns;
  private final long[] hlcs;
  private final String[] clientIds;
  /** The delete's writer; {@code deletedByClientId == null} when the row is not deleted. */
  private final long deletedByHlc;
  private final String deletedByClientId;

  private RowVersion(String[] columns, long[] hlcs, String[] clientIds, long deletedByHlc, String deletedByClientId) {
    this.columns = columns;
    this.hlcs = hlcs;
    this.clientIds = clientIds;
    this.deletedByHlc = deletedByHlc;
    this.deletedByClientId = deletedByClientId;
  }

  @JsonCreator
  public static RowVersion of(@JsonProperty("columns") Map<String, Writer> columns,
                              @JsonProperty("deletedBy") Writer deletedBy) {
    int size = columns == null ? 0 : columns.size();
    String[] names = new String[size];
    long[] hlcs = new long[size];
    String[] clientIds = new String[size];
    int i = 0;
    for (Map.Entry<String, Writer> column : size == 0 ? Map.<String, Writer>of().entrySet() : columns.entrySet()) {
      names[i] = column.getKey();
      hlcs[i] = column.getValue().hlc();
      clientIds[i++] = column.getValue().clientId();
    }
    return deletedBy == null
        ? new RowVersion(names, hlcs, clientIds, 0, null)
        : new RowVersion(names, hlcs, clientIds, deletedBy.hlc(), deletedBy.clientId());
  }

  @JsonProperty("columns")
  public Map<String, Writer> columns() {
    Map<String, Writer> writers = new LinkedHashMap<>();
    for (int i = 0; i < columns.length; i++) {
      writers.put(columns[i], new Writer(hlcs[i], clientIds[i]));
    }
    return writers;
  }

  @JsonProperty("deletedBy")
  public Writer deletedBy() {
    return deleted() ? new Writer(deletedByHlc, deletedByClientId) : null;
  }

  public boolean deleted() {
    return deletedByClientId != null;
  }

  /** Orders writers by HLC (unsigned), then by clientId. */
  public static int compare(long hlc, String clientId, long otherHlc, String otherClientId) {
    int byHlc = Long.compareUnsigned(hlc, otherHlc);
    return byHlc != 0 ? byHlc : clientId.compareTo(otherClientId);
  }

  /**
   * Merges a delta. A DELETE wins when it is newer than every write to the row; a write to a
   * deleted row wins (and resurrects it) only when newer than the delete; otherwise each column
   * wins on its own. Returns {@code null} when nothing in the delta wins.
   */
  public Merge merge(RowDelta delta) {
    long hlc = delta.hlc();
    String clientId = delta.clientId();
    // A delete leaves no column writers, and a write to a deleted row clears the delete: a row
    // has column writers or a delete, never both.
    if (delta.op() == Op.DELETE) {
      int latest = latestWrite();
      if (deleted() ? compare(hlc, clientId, deletedByHlc, deletedByClientId) <= 0
          : latest >= 0 && compare(hlc, clientId, hlcs[latest], clientIds[latest]) <= 0) {
        return null;
      }
      return new Merge(delta.withColumns(List.of()), new RowVersion(NO_COLUMNS, NO_HLCS, NO_COLUMNS, hlc, clientId));
    }
    if (deleted() && compare(hlc, clientId, deletedByHlc, deletedByClientId) <= 0) {
      return null;
    }
    List<ColumnValue> incoming = delta.columns();
    int capacity = columns.length + incoming.size();
    String[] names = Arrays.copyOf(columns, capacity);
    long[] writtenAt = Arrays.copyOf(hlcs, capacity);
    String[] writtenBy = Arrays.copyOf(clientIds, capacity);
    int size = columns.length;
    List<ColumnValue> kept = null; // null while every column so far has won
    for (int c = 0; c < incoming.size(); c++) {
      ColumnValue column = incoming.get(c);
      int at = indexOf(names, size, column.column());
      if (at < 0) {
        at = size++;
        names[at] = column.column();
      } else if (compare(hlc, clientId, writtenAt[at], writtenBy[at]) <= 0) {
        if (kept == null) {
          kept = new ArrayList<>(incoming.subList(0, c));
        }
        continue;
      }
      writtenAt[at] = hlc;
      writtenBy[at] = clientId;
      if (kept != null) {
        kept.add(column);
      }
    }
    boolean nothingWon = kept == null ? incoming.isEmpty() : kept.isEmpty();
    if (nothingWon && !deleted() && columns.length > 0) {
      return null;
    }
    if (size < capacity) {
      names = Arrays.copyOf(names, size);
      writtenAt = Arrays.copyOf(writtenAt, size);
      writtenBy = Arrays.copyOf(writtenBy, size);
    }
    RowDelta winning = kept == null ? delta : delta.withColumns(kept);
    return new Merge(winning, new RowVersion(names, writtenAt, writtenBy, 0, null));
  }

  private static int indexOf(String[] names, int size, String name) {
    for (int i = 0; i < size; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The index of the newest column write, -1 when there is none. */
  private int latestWrite() {
    int latest = -1;
    for (int i = 0; i < columns.length; i++) {
      if (latest < 0 || compare(hlcs[i], clientIds[i], hlcs[latest], clientIds[latest]) > 0) {
        latest = i;
      }
    }
    return latest;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RowVersion that
        && columns().equals(that.columns()) && Objects.equals(deletedBy(), that.deletedBy());
  }

  @Override
  public int hashCode() {
    return Objects.hash(columns(), deletedBy());
  }

  @Override
  public String toString() {
    return "RowVersion" + columns() + (deleted() ? " deleted by " + deletedBy() : "");
  }
}
