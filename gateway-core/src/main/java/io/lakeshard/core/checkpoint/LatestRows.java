package io.lakeshard.core.checkpoint;

import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.DeltaIds;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.RowVersion;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latest version of every row, folded from accepted deltas in stamp order. An accepted delta
 * holds only the columns that won their last-writer-wins merge, so the last one applied to a
 * column is its winner; an accepted DELETE was newer than every write, so the row goes, and a
 * later write starts it afresh with only its own columns (as {@link RowVersion} treats it).
 *
 * <p>Each row comes out as one INSERT with all its columns: LakeSync's client applies a
 * checkpoint's INSERT as a plain SQL insert, so a row must appear once, whole. Its hlc and
 * clientId are its newest writer's; its deltaId is computed from that content as for any delta.
 */
final class LatestRows {
  private static final class Row {
    final String table;
    final String rowId;
    final Map<String, String> columns = new LinkedHashMap<>();
    long hlc;
    String clientId;

    Row(String table, String rowId, long hlc, String clientId) {
      this.table = table;
      this.rowId = rowId;
      this.hlc = hlc;
      this.clientId = clientId;
    }
  }

  private final Map<String, Row> rows = new LinkedHashMap<>();

  /** Applies the next accepted delta (stamp order). */
  void apply(RowDelta delta) {
    String key = delta.rowKey();
    if (delta.op() == Op.DELETE) {
      rows.remove(key);
      return;
    }
    Row row = rows.computeIfAbsent(key, k -> new Row(delta.table(), delta.rowId(), delta.hlc(), delta.clientId()));
    for (ColumnValue column : delta.columns()) {
      row.columns.put(column.column(), column.json());
    }
    if (RowVersion.compare(delta.hlc(), delta.clientId(), row.hlc, row.clientId) > 0) {
      row.hlc = delta.hlc();
      row.clientId = delta.clientId();
    }
  }

  int size() {
    return rows.size();
  }

  /** Every live row as one INSERT, in the order rows first appeared; made as iterated, not all at once. */
  Iterator<RowDelta> deltas() {
    return rows.values().stream().map(LatestRows::asInsert).iterator();
  }

  private static RowDelta asInsert(Row row) {
    List<ColumnValue> columns = new ArrayList<>(row.columns.size());
    row.columns.forEach((name, json) -> columns.add(new ColumnValue(name, json)));
    return new RowDelta(Op.INSERT, row.table, row.rowId, row.clientId, List.copyOf(columns), row.hlc,
        DeltaIds.compute(row.clientId, row.hlc, row.table, row.rowId, columns));
  }
}
