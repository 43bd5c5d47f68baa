package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.rules.RowFilter;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Where a page ends and where the next one starts, with and without sync rules. */
class PullPagesTest {
  private static final long SERVER_HLC = 1_000;
  /** Rows whose id is even. */
  private static final RowFilter EVEN = delta -> Integer.parseInt(delta.rowId()) % 2 == 0;

  private static List<Accepted> stamped(long... stamps) {
    return LongStream.of(stamps).mapToObj(stamp -> new Accepted(
        new RowDelta(Op.INSERT, "t", Long.toString(stamp), "c", List.of(), 1, "id" + stamp), stamp)).toList();
  }

  private static SyncGateway.PullReply reply(List<Accepted> read, boolean moreAfter, int limit, RowFilter filter) {
    return PullPages.reply(read, moreAfter, limit, filter, Long.MAX_VALUE, SERVER_HLC, 7, false);
  }

  private static List<String> rows(SyncGateway.PullReply reply) {
    return reply.deltas().stream().map(RowDelta::rowId).toList();
  }

  @Test
  void withoutRulesTheCursorIsTheLastDeltaWhenMoreFollowElseTheServerHlc() {
    SyncGateway.PullReply more = reply(stamped(1, 2), true, 2, RowFilter.ALL);
    assertThat(rows(more)).containsExactly("1", "2");
    assertThat(more.serverHlc()).isEqualTo(2);
    assertThat(more.hasMore()).isTrue();
    assertThat(more.rulesVersion()).isEqualTo(7);
    SyncGateway.PullReply last = reply(stamped(3), false, 2, RowFilter.ALL);
    assertThat(last.serverHlc()).isEqualTo(SERVER_HLC);
    assertThat(last.hasMore()).isFalse();
  }

  @Test
  void aFullFilteredPageResumesAfterItsLastDeltaSoNothingReadAfterItIsSkipped() {
    SyncGateway.PullReply page = reply(stamped(1, 2, 3, 4, 5, 6), false, 2, EVEN);
    assertThat(rows(page)).containsExactly("2", "4");
    assertThat(page.hasMore()).as("6 was read but not returned").isTrue();
    assertThat(page.serverHlc()).isEqualTo(4);
  }

  @Test
  void aShortFilteredPageResumesAfterEverythingRead() {
    SyncGateway.PullReply page = reply(stamped(1, 3, 4, 5), true, 3, EVEN);
    assertThat(rows(page)).containsExactly("4");
    assertThat(page.hasMore()).isTrue();
    assertThat(page.serverHlc()).as("past 5, which is filtered out").isEqualTo(5);

    SyncGateway.PullReply none = reply(stamped(1, 3), true, 3, EVEN);
    assertThat(none.deltas()).isEmpty();
    assertThat(none.hasMore()).isTrue();
    assertThat(none.serverHlc()).isEqualTo(3);

    SyncGateway.PullReply end = reply(stamped(1, 3), false, 3, EVEN);
    assertThat(end.hasMore()).isFalse();
    assertThat(end.serverHlc()).isEqualTo(SERVER_HLC);
    assertThat(end.stamps()).as("no stamps unless the pull asks for them").isNull();
  }

  @Test
  void aPageCutToItsByteBudgetResumesAfterItsLastDelta() {
    long oneDelta = stamped(2).get(0).delta().sizeBytes();
    SyncGateway.PullReply cut = PullPages.reply(stamped(2, 3, 4), false, 3, EVEN, oneDelta, SERVER_HLC, 0, true);
    assertThat(rows(cut)).containsExactly("2");
    assertThat(cut.hasMore()).isTrue();
    assertThat(cut.serverHlc()).isEqualTo(2);
    assertThat(cut.stamps()).containsExactly(2);
  }
}
