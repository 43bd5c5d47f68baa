package io.lakeshard.core.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.RowVersion;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The row index's bound: every buffered delta's row, plus the most recently written flushed ones. */
class DeltaBufferTest {
  private long stamp;

  private void write(DeltaBuffer buffer, String row) {
    RowDelta delta = new RowDelta(Op.INSERT, "t", row, "c", List.of(new ColumnValue("n", "1")), ++stamp,
        "id-" + stamp);
    buffer.append(new Accepted(delta, stamp), delta.rowKey(), buffer.row(delta.rowKey()).merge(delta).after());
  }

  @Test
  void afterAFlushTheIndexKeepsTheMostRecentlyWrittenRowsUpToTheWindow() {
    DeltaBuffer buffer = new DeltaBuffer();
    for (int i = 0; i < 1_000; i++) {
      write(buffer, "r" + i);
    }
    write(buffer, "r0"); // written again: now the newest
    buffer.dropThrough(stamp, 100, 10);

    assertThat(buffer.rowCount()).isEqualTo(10);
    assertThat(buffer.rows().keySet()).containsExactly("t:r991", "t:r992", "t:r993", "t:r994", "t:r995", "t:r996",
        "t:r997", "t:r998", "t:r999", "t:r0");
    assertThat(buffer.row("t:r1")).isEqualTo(RowVersion.ABSENT);
    assertThat(buffer.row("t:r0")).isNotEqualTo(RowVersion.ABSENT);
  }

  @Test
  void rowsOfBufferedDeltasStayBeyondTheWindow() {
    DeltaBuffer buffer = new DeltaBuffer();
    for (int i = 0; i < 50; i++) {
      write(buffer, "flushed" + i);
    }
    long flushPoint = stamp;
    for (int i = 0; i < 20; i++) {
      write(buffer, "buffered" + i);
    }
    buffer.dropThrough(flushPoint, 0, 0);

    assertThat(buffer.size()).isEqualTo(20);
    assertThat(buffer.rowCount()).isEqualTo(20);
    for (int i = 0; i < 20; i++) {
      assertThat(buffer.row("t:buffered" + i)).isNotEqualTo(RowVersion.ABSENT);
    }
    buffer.dropThrough(stamp, 0, 0);
    assertThat(buffer.rowCount()).isZero();
  }

  /** A snapshot holds the bounded index in write order, so a recovered buffer goes on forgetting the oldest. */
  @Test
  void aRestoredBufferKeepsTheWriteOrderAndMovesBufferedRowsToTheNewestEnd() {
    DeltaBuffer buffer = new DeltaBuffer();
    for (int i = 0; i < 30; i++) {
      write(buffer, "r" + i);
    }
    buffer.dropThrough(stamp, 100, 10);
    write(buffer, "r20"); // buffered, the oldest row of the window otherwise
    DeltaBuffer restored = new DeltaBuffer(buffer.log(), buffer.rows(), new DeltaIdWindow());
    assertThat(restored.rows()).isEqualTo(buffer.rows());
    assertThat(List.copyOf(restored.rows().keySet())).isEqualTo(List.copyOf(buffer.rows().keySet()));

    // An earlier version's snapshot: every row, in no particular order.
    Map<String, RowVersion> unordered = new LinkedHashMap<>();
    unordered.put("t:r20", buffer.row("t:r20"));
    buffer.rows().forEach(unordered::putIfAbsent);
    DeltaBuffer fromEarlier = new DeltaBuffer(buffer.log(), unordered, new DeltaIdWindow());
    write(fromEarlier, "r30");
    fromEarlier.dropThrough(stamp - 1, 100, 3);
    assertThat(fromEarlier.rows().keySet()).containsExactly("t:r28", "t:r29", "t:r20", "t:r30");
  }

  private Accepted accepted(String row) {
    RowDelta delta = new RowDelta(Op.INSERT, "t", row, "c", List.of(new ColumnValue("n", "1")), ++stamp,
        "id-" + stamp);
    return new Accepted(delta, stamp);
  }

  private static void append(DeltaBuffer buffer, Accepted accepted) {
    RowDelta delta = accepted.delta();
    buffer.append(accepted, delta.rowKey(), buffer.row(delta.rowKey()).merge(delta).after());
  }

  @Test
  void admittedDeltasLeaveTheWindowAsTheSameDeltasReplayedDo() {
    List<Accepted> deltas = List.of(accepted("a"), accepted("b"), accepted("c"));
    DeltaBuffer live = new DeltaBuffer();
    for (Accepted delta : deltas) {
      assertThat(live.admit(delta.delta().deltaId())).isTrue();
    }
    assertThat(live.admit("id-2")).as("admitted already").isFalse();
    deltas.forEach(delta -> append(live, delta));
    DeltaBuffer replayed = new DeltaBuffer();
    deltas.forEach(delta -> append(replayed, delta));

    assertThat(live.seenDeltaIds()).isEqualTo(replayed.seenDeltaIds()).hasSize(3 * 32);
    assertThat(live.admit("id-1")).as("appended").isFalse();
    // Appends after the admitted ones add their ids again, in order, so eviction drops the oldest.
    Accepted later = accepted("d");
    append(live, later);
    assertThat(live.admit(later.delta().deltaId())).isFalse();
    live.dropThrough(stamp, 1, 10);
    assertThat(live.admit("id-3")).as("evicted").isTrue();
    assertThat(live.admit(later.delta().deltaId())).as("the newest stays").isFalse();
  }
}
