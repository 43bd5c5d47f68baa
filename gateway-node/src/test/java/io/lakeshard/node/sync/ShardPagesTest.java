package io.lakeshard.node.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.gateway.SyncGateway;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The merge of shard pages: stamp order, the limit, and a cursor that never skips a shard's delta. */
class ShardPagesTest {

  /** A shard's stamped page; each delta's row id is its stamp. */
  private static SyncGateway.PullReply shard(long serverHlc, boolean hasMore, long... stamps) {
    List<RowDelta> deltas = LongStream.of(stamps)
        .mapToObj(stamp -> new RowDelta(Op.INSERT, "t", Long.toString(stamp), "c", List.of(), 1, "id" + stamp))
        .toList();
    return new SyncGateway.PullReply(deltas, serverHlc, hasMore, 0, stamps);
  }

  private static List<String> rows(SyncGateway.PullReply page) {
    return page.deltas().stream().map(RowDelta::rowId).toList();
  }

  @Test
  void interleavesShardsInStampOrderAndCutsToTheLimitAtTheLastTaken() {
    SyncGateway.PullReply page = ShardPages.merge(List.of(shard(100, false, 1, 3, 5), shard(100, false, 2, 4, 6)), 4);
    assertThat(rows(page)).containsExactly("1", "2", "3", "4");
    assertThat(page.hasMore()).isTrue();
    assertThat(page.serverHlc()).isEqualTo(4);
    assertThat(page.stamps()).isNull();
  }

  @Test
  void holdsBackWhatIsStampedAboveALaggingShardsClock() {
    // Shard b's clock is at 15: it may still accept a delta stamped 16..30, so a cursor at 30
    // (the last stamp of shard a) could skip it. The page stops at 15 and says nothing more is cut.
    SyncGateway.PullReply page = ShardPages.merge(List.of(shard(35, false, 10, 20, 30), shard(15, false, 12)), 10);
    assertThat(rows(page)).containsExactly("10", "12");
    assertThat(page.serverHlc()).isEqualTo(15);
    assertThat(page.hasMore()).isFalse();

    // Later shard b accepted 16 and its clock moved on: the next pull from 15 serves everything, in order.
    SyncGateway.PullReply next = ShardPages.merge(List.of(shard(40, false, 20, 30), shard(41, false, 16)), 10);
    assertThat(rows(next)).containsExactly("16", "20", "30");
    assertThat(next.serverHlc()).isEqualTo(40);
  }

  @Test
  void aPageEmptiedByHeldBackDeltasSaysNoMoreEvenWhenAShardHasMore() {
    // Shard a recovered and leads the wall clock: all it has is above idle shard b's clock (100).
    // A page that says hasMore with nothing in it would send the client straight back, spinning.
    SyncGateway.PullReply page = ShardPages.merge(List.of(shard(201, true, 200, 201), shard(100, false)), 10);
    assertThat(rows(page)).isEmpty();
    assertThat(page.serverHlc()).isEqualTo(100);
    assertThat(page.hasMore()).isFalse();
  }

  @Test
  void aShardWithMoreBoundsThePageAtWhatItServed() {
    SyncGateway.PullReply page = ShardPages.merge(List.of(shard(2, true, 1, 2), shard(50, false, 3)), 10);
    assertThat(rows(page)).containsExactly("1", "2");
    assertThat(page.serverHlc()).isEqualTo(2);
    assertThat(page.hasMore()).isTrue();
  }

  @Test
  void emptyShardsAnswerTheEarliestClock() {
    SyncGateway.PullReply page = ShardPages.merge(List.of(shard(70, false), shard(60, false)), 10);
    assertThat(page.deltas()).isEmpty();
    assertThat(page.serverHlc()).isEqualTo(60);
    assertThat(page.hasMore()).isFalse();
  }

  @Test
  void neverCutsBetweenDeltasOfOneStamp() {
    // Two shards both stamped 3: a page of 3 cut after one of them would resume after 3 and skip the other.
    SyncGateway.PullReply page = ShardPages.merge(List.of(shard(100, false, 1, 3, 5), shard(100, false, 2, 3, 6)), 3);
    assertThat(rows(page)).containsExactly("1", "2");
    assertThat(page.serverHlc()).isEqualTo(2);
    assertThat(page.hasMore()).isTrue();

    SyncGateway.PullReply tiny = ShardPages.merge(List.of(shard(100, false, 3, 5), shard(100, false, 3, 6)), 1);
    assertThat(rows(tiny)).as("a limit below the shard count: the whole stamp").containsExactly("3", "3");
    assertThat(tiny.serverHlc()).isEqualTo(3);
    assertThat(tiny.hasMore()).isTrue();
  }
}
