package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.buffer.DeltaBuffer;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.DeltaIds;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.SyncResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The entity with an in-memory journal: group commit, replies after the write, broadcasts. */
class SyncGatewayTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final GatewaySettings SETTINGS = GatewaySettings.fromConfig(testKit.system().settings().config());
  /** These tests end long before the 30 s flush alarm: a flush here is a bug. */
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

  @BeforeEach
  void clearJournal() {
    journal.clearAll();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static RowDelta insert(String client, String row) {
    List<ColumnValue> columns = List.of(new ColumnValue("title", "\"" + row + "\""));
    long hlc = HybridClock.encode(System.currentTimeMillis(), 0);
    return new RowDelta(Op.INSERT, "todos", row, client, columns, hlc,
        DeltaIds.compute(client, hlc, "todos", row, columns));
  }

  @Test
  void pushesArrivingDuringAWriteAreJournaledTogetherAndEachIsAcknowledged() {
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g1", SETTINGS, NO_LAKE));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    int pushes = 50;
    for (int i = 0; i < pushes; i++) {
      gateway.tell(new SyncGateway.Push("c" + i, List.of(insert("c" + i, "row" + i)), null, replies.getRef()));
    }
    for (int i = 0; i < pushes; i++) {
      assertThat(replies.receiveMessage()).isInstanceOf(SyncGateway.PushAccepted.class);
    }
    List<Object> events = journal.persistedInStorage("SyncGateway|g1");
    assertThat(events.size()).as("journal writes for %d pushes", pushes).isLessThanOrEqualTo(pushes / 2);
    int deltas = events.stream().mapToInt(e -> ((GatewayLedger.DeltasAccepted) e).deltas().size()).sum();
    assertThat(deltas).isEqualTo(pushes);

    TestProbe<SyncGateway.PullResult> pull = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Pull(0, 1000, pull.getRef()));
    assertThat(((SyncGateway.PullReply) pull.receiveMessage()).deltas()).hasSize(pushes);
  }

  @Test
  void aFailedWriteIsNotAcknowledgedAndTheGatewayStopsToRecover() {
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g2", SETTINGS, NO_LAKE));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    journal.failNextPersisted();
    gateway.tell(new SyncGateway.Push("a", List.of(insert("a", "1")), null, replies.getRef()));
    replies.expectTerminated(gateway, Duration.ofSeconds(5));
    replies.expectNoMessage(Duration.ofMillis(100));

    ActorRef<SyncGateway.Command> restarted = testKit.spawn(SyncGateway.create("g2", SETTINGS, NO_LAKE));
    restarted.tell(new SyncGateway.Push("a", List.of(insert("a", "2")), null, replies.getRef()));
    assertThat(replies.receiveMessage()).isInstanceOf(SyncGateway.PushAccepted.class);
  }

  @Test
  void aRestartedGatewayReplaysEveryAcknowledgedDelta() {
    ActorRef<SyncGateway.Command> first = testKit.spawn(SyncGateway.create("g3", SETTINGS, NO_LAKE));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    RowDelta one = insert("a", "1");
    first.tell(new SyncGateway.Push("a", List.of(one, insert("a", "2")), null, replies.getRef()));
    long ackedHlc = ((SyncGateway.PushAccepted) replies.receiveMessage()).serverHlc();
    testKit.stop(first);

    ActorRef<SyncGateway.Command> second = testKit.spawn(SyncGateway.create("g3", SETTINGS, NO_LAKE));
    TestProbe<SyncGateway.PullResult> pull = testKit.createTestProbe();
    second.tell(new SyncGateway.Pull(0, 100, pull.getRef()));
    SyncGateway.PullReply page = (SyncGateway.PullReply) pull.receiveMessage();
    assertThat(page.deltas()).extracting(RowDelta::rowId).containsExactly("1", "2");
    assertThat(page.serverHlc()).isGreaterThanOrEqualTo(ackedHlc);

    second.tell(new SyncGateway.Push("a", List.of(one), null, replies.getRef()));
    SyncGateway.PushAccepted again = (SyncGateway.PushAccepted) replies.receiveMessage();
    assertThat(again.accepted()).isEqualTo(1);
    assertThat(again.deltas()).as("deduped after replay: nothing ingested").isEmpty();
  }

  @Test
  void broadcastsReachOtherSessionsButNotThePusher() throws Exception {
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g4", SETTINGS, NO_LAKE));
    TestProbe<SyncGateway.Broadcast> pusher = testKit.createTestProbe();
    TestProbe<SyncGateway.Broadcast> other = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Subscribe(pusher.getRef()));
    gateway.tell(new SyncGateway.Subscribe(other.getRef()));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Push("a", List.of(insert("a", "1")), pusher.getRef(), replies.getRef()));
    replies.receiveMessage();
    byte[] frame = other.receiveMessage().frame();
    assertThat(frame[0]).isEqualTo(Frames.TAG_BROADCAST);
    assertThat(SyncResponse.parseFrom(Arrays.copyOfRange(frame, 1, frame.length)).getDeltasList())
        .extracting(io.lakeshard.protocol.v1.RowDelta::getRowId).containsExactly("1");
    pusher.expectNoMessage(Duration.ofMillis(200));
  }
}
