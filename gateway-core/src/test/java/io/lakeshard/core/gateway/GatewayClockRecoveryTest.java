package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.buffer.DeltaBuffer;
import io.lakeshard.core.checkpoint.CheckpointWriter;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.DeltaIds;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.hlc.HybridClock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A client pulls from a reply's serverHlc, which no journal holds: after a restart or a move to
 * a node whose clock is behind, the gateway must still stamp every new delta above it. Each test
 * sets the gateway's wall clock itself and moves it only where it says.
 */
class GatewayClockRecoveryTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  private static final GatewaySettings SETTINGS = GatewaySettings.fromConfig(testKit.system().settings().config());
  /** These tests never flush (the alarm is 30 s away): a lake call is a bug. */
  private static final CheckpointWriter NO_CHECKPOINTS = source -> {
    throw new AssertionError("unexpected checkpoint");
  };
  private static final GatewayLake NO_LAKE = new GatewayLake() {
    @Override
    public FlushResult flush(FlushPlan plan) {
      throw new AssertionError("unexpected flush");
    }

    @Override
    public List<DeltaBuffer.Accepted> read(String gatewayId, Collection<String> tables, long since, long upTo, int limit) {
      throw new AssertionError("unexpected lake read");
    }
  };

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static ActorRef<SyncGateway.Command> start(String gatewayId, AtomicLong wall) {
    return testKit.spawn(SyncGateway.create(gatewayId, SETTINGS, NO_LAKE, NO_CHECKPOINTS, wall::get,
        GatewayObserver.NONE));
  }

  private static RowDelta insert(String client, String row, long clientWallMillis) {
    List<ColumnValue> columns = List.of(new ColumnValue("title", "\"" + row + "\""));
    long hlc = HybridClock.encode(clientWallMillis, 0);
    return new RowDelta(Op.INSERT, "todos", row, client, columns, hlc,
        DeltaIds.compute(client, hlc, "todos", row, columns));
  }

  private static SyncGateway.PushAccepted push(ActorRef<SyncGateway.Command> gateway, RowDelta delta) {
    TestProbe<SyncGateway.PushReply> reply = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Push(delta.clientId(), List.of(delta), null, reply.getRef()));
    return (SyncGateway.PushAccepted) reply.receiveMessage();
  }

  private static SyncGateway.PullReply pull(ActorRef<SyncGateway.Command> gateway, long since) {
    TestProbe<SyncGateway.PullResult> reply = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Pull(since, 1000, Map.of(), reply.getRef()));
    SyncGateway.PullReply page = (SyncGateway.PullReply) reply.receiveMessage();
    assertThat(page.hasMore()).isFalse();
    return page;
  }

  @Test
  void aGatewayMovedToANodeWhoseClockIsBehindStampsAboveTheCursorItsPreviousOwnerHandedOut() {
    AtomicLong wall = new AtomicLong(System.currentTimeMillis());
    ActorRef<SyncGateway.Command> first = start("behind", wall);
    push(first, insert("a", "1", wall.get()));
    wall.addAndGet(5_000); // past the lead a recovery gives: the clock is the wall clock again
    SyncGateway.PullReply page = pull(first, 0);
    assertThat(page.deltas()).extracting(RowDelta::rowId).containsExactly("1");
    long cursor = page.serverHlc();
    assertThat(HybridClock.wallOf(cursor)).as("the owner's current time, as LakeSync answers").isEqualTo(wall.get());
    testKit.stop(first);

    wall.addAndGet(-500); // the next owner's clock is 500 ms behind the first's
    ActorRef<SyncGateway.Command> second = start("behind", wall);
    SyncGateway.PushAccepted ack = push(second, insert("b", "2", wall.get()));
    assertThat(ack.deltas()).hasSize(1);
    assertThat(ack.serverHlc()).isGreaterThan(cursor);
    SyncGateway.PullReply next = pull(second, cursor);
    assertThat(next.deltas()).as("the delta pushed after the move").extracting(RowDelta::rowId).containsExactly("2");
    assertThat(next.serverHlc()).isGreaterThan(cursor);
    assertThat(pull(second, next.serverHlc()).deltas()).isEmpty();
  }

  /**
   * A client stamp ahead of the gateway's clock (within max-clock-drift) moves the clock past
   * the wall clock: a reply must not hand out a cursor above what the journal holds then, or the
   * next owner, replaying the journal, stamps its first delta at or below that cursor.
   */
  @Test
  void aClientClockAheadOfTheGatewaysLeavesNoCursorAboveWhatARestartContinuesFrom() {
    AtomicLong wall = new AtomicLong(System.currentTimeMillis());
    ActorRef<SyncGateway.Command> first = start("ahead", wall);
    long cursor = push(first, insert("a", "1", wall.get() + 3_000)).serverHlc();
    assertThat(pull(first, cursor).deltas()).as("the ack covers the pushed delta").isEmpty();
    testKit.stop(first);

    ActorRef<SyncGateway.Command> second = start("ahead", wall); // the same clock: an ordinary restart
    push(second, insert("b", "2", wall.get()));
    assertThat(pull(second, cursor).deltas()).extracting(RowDelta::rowId).containsExactly("2");
  }

  @Test
  void anOrdinaryRestartReplaysEverythingAndContinuesAfterTheCursor() {
    AtomicLong wall = new AtomicLong(System.currentTimeMillis());
    ActorRef<SyncGateway.Command> first = start("restart", wall);
    RowDelta one = insert("a", "1", wall.get());
    push(first, one);
    push(first, insert("a", "2", wall.get()));
    long cursor = pull(first, 0).serverHlc();
    testKit.stop(first);

    wall.addAndGet(20);
    ActorRef<SyncGateway.Command> second = start("restart", wall);
    SyncGateway.PullReply replayed = pull(second, 0);
    assertThat(replayed.deltas()).extracting(RowDelta::rowId).containsExactly("1", "2");
    assertThat(replayed.serverHlc()).isGreaterThanOrEqualTo(cursor);
    assertThat(push(second, one).deltas()).as("deduplicated after the replay").isEmpty();
    push(second, insert("a", "3", wall.get()));
    assertThat(pull(second, cursor).deltas()).extracting(RowDelta::rowId).containsExactly("3");
  }

  /**
   * While a recovered clock runs ahead, a gateway nobody pushed to still answers with the wall
   * clock's time: had it answered with its lead, a move to a node behind it right after would
   * stamp below that cursor (the next owner's lead starts from its own, lower, wall clock).
   */
  @Test
  void repliesOfARecoveredGatewayNeverPassTheWallClock() {
    AtomicLong wall = new AtomicLong(System.currentTimeMillis());
    ActorRef<SyncGateway.Command> first = start("empty", wall);
    long before = pull(first, 0).serverHlc();
    assertThat(HybridClock.wallOf(before)).isEqualTo(wall.get());
    wall.incrementAndGet();
    long cursor = pull(first, 0).serverHlc();
    assertThat(HybridClock.wallOf(cursor)).isEqualTo(wall.get());
    testKit.stop(first);

    wall.addAndGet(-500);
    ActorRef<SyncGateway.Command> second = start("empty", wall);
    push(second, insert("a", "1", wall.get()));
    assertThat(pull(second, cursor).deltas()).as("stamped above both").extracting(RowDelta::rowId).containsExactly("1");
  }
}
