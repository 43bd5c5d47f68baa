package io.lakeshard.core.delta;

import java.util.List;

/** A change to one row, as a client made it. {@code hlc} is the client's HLC. */
public record RowDelta(
    Op op,
    String table,
    String rowId,
    String clientId,
    List<ColumnValue> columns,
    long hlc,
    String deltaId) {

  public String rowKey() {
    return table + ":" + rowId;
  }

  public RowDelta withColumns(List<ColumnValue> kept) {
    return new RowDelta(op, table, rowId, clientId, List.copyOf(kept), hlc, deltaId);
  }

  /** Approximate bytes held in memory, for buffer limits. */
  public long sizeBytes() {
    long size = 64L + table.length() + rowId.length() + clientId.length() + deltaId.length();
    for (ColumnValue column : columns) {
      size += 16L + column.column().length() + column.json().length();
    }
    return size;
  }
}
