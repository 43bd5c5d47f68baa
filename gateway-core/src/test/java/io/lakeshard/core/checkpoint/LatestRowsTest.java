package io.lakeshard.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.DeltaIds;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LatestRowsTest {

  private static RowDelta delta(Op op, String row, String client, long hlc, ColumnValue... columns) {
    return new RowDelta(op, "t", row, client, List.of(columns), hlc, "id-" + row + "-" + hlc);
  }

  private static List<RowDelta> latest(RowDelta... deltas) {
    LatestRows rows = new LatestRows();
    for (RowDelta delta : deltas) {
      rows.apply(delta);
    }
    List<RowDelta> out = new ArrayList<>();
    rows.deltas().forEachRemaining(out::add);
    assertThat(out).hasSize(rows.size());
    return out;
  }

  @Test
  void laterColumnsOverlayEarlierOnesAndTheRowCarriesItsNewestWriter() {
    List<RowDelta> rows = latest(
        delta(Op.INSERT, "r1", "a", 10, new ColumnValue("title", "\"x\""), new ColumnValue("n", "1")),
        delta(Op.UPDATE, "r1", "b", 20, new ColumnValue("n", "2")));

    assertThat(rows).singleElement().satisfies(row -> {
      assertThat(row.op()).isEqualTo(Op.INSERT);
      assertThat(row.columns()).containsExactly(new ColumnValue("title", "\"x\""), new ColumnValue("n", "2"));
      assertThat(row.hlc()).isEqualTo(20);
      assertThat(row.clientId()).isEqualTo("b");
      assertThat(row.deltaId()).isEqualTo(DeltaIds.compute("b", 20, "t", "r1", row.columns()));
    });
  }

  @Test
  void aDeleteRemovesTheRowAndALaterWriteStartsItWithOnlyItsColumns() {
    List<RowDelta> rows = latest(
        delta(Op.INSERT, "r1", "a", 10, new ColumnValue("title", "\"x\""), new ColumnValue("n", "1")),
        delta(Op.INSERT, "r2", "a", 11, new ColumnValue("n", "5")),
        delta(Op.DELETE, "r1", "a", 12),
        delta(Op.DELETE, "r2", "a", 13),
        delta(Op.UPDATE, "r2", "a", 14, new ColumnValue("n", "6")));

    assertThat(rows).extracting(RowDelta::rowId).containsExactly("r2");
    assertThat(rows.get(0).columns()).containsExactly(new ColumnValue("n", "6"));
  }
}
