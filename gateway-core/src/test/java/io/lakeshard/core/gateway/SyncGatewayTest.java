package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.core.HeldWrite;
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
import io.lakeshard.core.rules.SyncRules;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.SyncResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The entity with an in-memory journal: group commit, replies after the write, broadcasts, journal failures. */
class SyncGatewayTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final GatewaySettings SETTINGS = GatewaySettings.fromConfig(testKit.system().settings().config());
  private static final Duration JOURNAL_BACKOFF = Duration.ofMillis(300);
  private static final GatewaySettings SLOW_RESTART = GatewaySettings.fromConfig(ConfigFactory.parseString(
          "lakeshard.entity.journal-backoff { min = " + JOURNAL_BACKOFF.toMillis() + "ms, max = 2s }")
      .withFallback(testKit.system().settings().config()));
  /** These tests end long before the 30 s flush alarm: a flush here is a bug. */
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

  @BeforeEach
  void clearJournal() {
    journal.resetPolicy();
    journal.clearAll();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static RowDelta insert(String client, String row) {
    return titled(client, row, row);
  }

  private static RowDelta titled(String client, String row, String title) {
    List<ColumnValue> columns = List.of(new ColumnValue("title", "\"" + title + "\""));
    long hlc = HybridClock.encode(System.currentTimeMillis(), 0);
    return new RowDelta(Op.INSERT, "todos", row, client, columns, hlc,
        DeltaIds.compute(client, hlc, "todos", row, columns));
  }

  /**
   * The test holds the first write; the other pushes reach the gateway's mailbox before the
   * write's answer can (it is sent only once released), so they all wait and go as one write.
   */
  @Test
  void pushesArrivingWhileAWriteIsHeldAreJournaledTogetherAsTheNextWrite() throws Exception {
    HeldWrite held = new HeldWrite("SyncGateway|g1");
    journal.withPolicy(held);
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g1", SETTINGS, NO_LAKE, NO_CHECKPOINTS));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    int pushes = 50;
    gateway.tell(new SyncGateway.Push("c0", List.of(insert("c0", "row0")), null, replies.getRef()));
    held.awaitHeld();
    for (int i = 1; i < pushes; i++) {
      gateway.tell(new SyncGateway.Push("c" + i, List.of(insert("c" + i, "row" + i)), null, replies.getRef()));
    }
    replies.expectNoMessage(Duration.ZERO); // nothing is acknowledged while its write is held
    held.release();
    for (int i = 0; i < pushes; i++) {
      assertThat(replies.receiveMessage()).isInstanceOf(SyncGateway.PushAccepted.class);
    }
    List<Object> events = journal.persistedInStorage("SyncGateway|g1");
    assertThat(events).extracting(e -> ((GatewayLedger.DeltasAccepted) e).deltas().size())
        .as("the held write, then every push that arrived during it").containsExactly(1, pushes - 1);

    TestProbe<SyncGateway.PullResult> pull = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Pull(0, 1000, Map.of(), pull.getRef()));
    assertThat(((SyncGateway.PullReply) pull.receiveMessage()).deltas()).hasSize(pushes);
  }

  /**
   * A failed write restarts the ledger after its backoff, not the gateway: the push in the write
   * is refused (503 with Retry-After, never acknowledged), the one waiting behind it is written
   * after the restart, and the gateway's sessions are still there to hear it.
   */
  @Test
  void aFailedWriteIsRefusedAndTheLedgerComesBackAfterItsBackoff() throws Exception {
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g2", SLOW_RESTART, NO_LAKE, NO_CHECKPOINTS));
    TestProbe<SyncGateway.Broadcast> session = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Subscribe(session.getRef(), null, Map.of()));
    TestProbe<SyncGateway.PushReply> failed = testKit.createTestProbe();
    TestProbe<SyncGateway.PushReply> waiting = testKit.createTestProbe();
    journal.failNextPersisted();
    long sent = System.nanoTime();
    gateway.tell(new SyncGateway.Push("a", List.of(insert("a", "1")), null, failed.getRef()));
    gateway.tell(new SyncGateway.Push("b", List.of(insert("b", "2")), null, waiting.getRef()));

    SyncGateway.PushReply refusal = failed.receiveMessage(Duration.ofSeconds(10));
    assertThat(refusal).isInstanceOf(SyncGateway.PushNotJournaled.class);
    assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("answered once the ledger restarted")
        .isGreaterThanOrEqualTo(JOURNAL_BACKOFF);
    assertThat(waiting.receiveMessage(Duration.ofSeconds(10))).isInstanceOf(SyncGateway.PushAccepted.class);
    failed.expectNoMessage(Duration.ZERO);
    byte[] frame = session.receiveMessage(Duration.ofSeconds(10)).frame();
    assertThat(rowIds(frame)).containsExactly("2");

    TestProbe<SyncGateway.PullResult> pull = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Pull(0, 100, Map.of(), pull.getRef()));
    assertThat(((SyncGateway.PullReply) pull.receiveMessage()).deltas()).extracting(RowDelta::rowId)
        .containsExactly("2");
    assertThat(journal.persistedInStorage("SyncGateway|g2")).hasSize(1);
  }

  private static List<String> rowIds(byte[] broadcast) throws com.google.protobuf.InvalidProtocolBufferException {
    assertThat(broadcast[0]).isEqualTo(Frames.TAG_BROADCAST);
    return SyncResponse.parseFrom(Arrays.copyOfRange(broadcast, 1, broadcast.length)).getDeltasList().stream()
        .map(io.lakeshard.protocol.v1.RowDelta::getRowId).toList();
  }

  @Test
  void aRestartedGatewayReplaysEveryAcknowledgedDelta() {
    ActorRef<SyncGateway.Command> first = testKit.spawn(SyncGateway.create("g3", SETTINGS, NO_LAKE, NO_CHECKPOINTS));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    RowDelta one = insert("a", "1");
    first.tell(new SyncGateway.Push("a", List.of(one, insert("a", "2")), null, replies.getRef()));
    long ackedHlc = ((SyncGateway.PushAccepted) replies.receiveMessage()).serverHlc();
    testKit.stop(first);

    ActorRef<SyncGateway.Command> second = testKit.spawn(SyncGateway.create("g3", SETTINGS, NO_LAKE, NO_CHECKPOINTS));
    TestProbe<SyncGateway.PullResult> pull = testKit.createTestProbe();
    second.tell(new SyncGateway.Pull(0, 100, Map.of(), pull.getRef()));
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
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g4", SETTINGS, NO_LAKE, NO_CHECKPOINTS));
    TestProbe<SyncGateway.Broadcast> pusher = testKit.createTestProbe();
    TestProbe<SyncGateway.Broadcast> other = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Subscribe(pusher.getRef(), null, Map.of()));
    gateway.tell(new SyncGateway.Subscribe(other.getRef(), null, Map.of()));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Push("a", List.of(insert("a", "1")), pusher.getRef(), replies.getRef()));
    replies.receiveMessage();
    assertThat(rowIds(other.receiveMessage().frame())).containsExactly("1");
    // Broadcasts reach a session in push order: had the pusher heard its own push, it would come first.
    gateway.tell(new SyncGateway.Push("b", List.of(insert("b", "2")), other.getRef(), replies.getRef()));
    replies.receiveMessage();
    assertThat(rowIds(pusher.receiveMessage().frame())).containsExactly("2");
  }

  @Test
  void syncRulesFilterPullsAndBroadcastsPerClientAndSurviveARestart() throws Exception {
    GatewaySettings smallScan = GatewaySettings.fromConfig(ConfigFactory.parseString(
        "lakeshard.gateway.pull.max-filtered-scan = 2").withFallback(testKit.system().settings().config()));
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g7", smallScan, NO_LAKE, NO_CHECKPOINTS));
    SyncRules byTitle = new SyncRules(3, List.of(new SyncRules.Bucket("own", List.of(),
        List.of(new SyncRules.Filter("title", SyncRules.Op.EQ, "jwt:sub")))));
    TestProbe<SyncGateway.SyncRulesSaved> saved = testKit.createTestProbe();
    gateway.tell(new SyncGateway.SaveSyncRules(byTitle, saved.getRef()));
    assertThat(saved.receiveMessage().version()).isEqualTo(3);

    TestProbe<SyncGateway.Broadcast> alicesOtherSocket = testKit.createTestProbe();
    TestProbe<SyncGateway.Broadcast> bob = testKit.createTestProbe();
    TestProbe<SyncGateway.Broadcast> carol = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Subscribe(alicesOtherSocket.getRef(), "alice", Map.of("sub", List.of("alice"))));
    gateway.tell(new SyncGateway.Subscribe(bob.getRef(), "bob", Map.of("sub", List.of("bob"))));
    gateway.tell(new SyncGateway.Subscribe(carol.getRef(), "carol", Map.of("sub", List.of("carol"))));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    // Over HTTP (no origin session): a row of alice's own and one of bob's among others.
    gateway.tell(new SyncGateway.Push("alice", List.of(titled("alice", "x1", "x"), titled("alice", "b1", "bob"),
        titled("alice", "a1", "alice"), titled("alice", "x2", "x"), titled("alice", "x3", "x")), null,
        replies.getRef()));
    replies.receiveMessage();
    assertThat(rowIds(bob.receiveMessage().frame())).containsExactly("b1");
    gateway.tell(new SyncGateway.Push("bob", List.of(titled("bob", "a2", "alice"), titled("bob", "c1", "carol")), null,
        replies.getRef()));
    replies.receiveMessage();
    // Broadcasts keep push order: had alice's other socket heard her own push, or carol any of it, it would come first.
    assertThat(rowIds(alicesOtherSocket.receiveMessage().frame())).containsExactly("a2");
    assertThat(rowIds(carol.receiveMessage().frame())).containsExactly("c1");

    assertThat(pullAll(gateway, Map.of("sub", List.of("bob")))).containsExactly("b1");
    assertThat(pullAll(gateway, Map.of("sub", List.of("alice")))).containsExactly("a1", "a2");
    testKit.stop(gateway);

    ActorRef<SyncGateway.Command> restarted = testKit.spawn(SyncGateway.create("g7", smallScan, NO_LAKE, NO_CHECKPOINTS));
    TestProbe<SyncGateway.CurrentSyncRules> current = testKit.createTestProbe();
    restarted.tell(new SyncGateway.GetSyncRules(current.getRef()));
    assertThat(current.receiveMessage().rules()).isEqualTo(byTitle);
    assertThat(pullAll(restarted, Map.of("sub", List.of("carol")))).containsExactly("c1");
    assertThat(pullAll(restarted, Map.of())).as("no claim, no rows").isEmpty();
  }

  /** Every row a client with {@code claims} pulls, one delta a page, checking each page's cursor moves on. */
  private static List<String> pullAll(ActorRef<SyncGateway.Command> gateway, Map<String, List<String>> claims) {
    TestProbe<SyncGateway.PullResult> pull = testKit.createTestProbe();
    List<String> rows = new ArrayList<>();
    long cursor = 0;
    for (int page = 0; page < 20; page++) {
      gateway.tell(new SyncGateway.Pull(cursor, 1, claims, pull.getRef()));
      SyncGateway.PullReply reply = (SyncGateway.PullReply) pull.receiveMessage();
      assertThat(reply.rulesVersion()).isEqualTo(3);
      assertThat(Long.compareUnsigned(reply.serverHlc(), cursor)).as("the cursor advances").isPositive();
      reply.deltas().forEach(delta -> rows.add(delta.rowId()));
      cursor = reply.serverHlc();
      if (!reply.hasMore()) {
        return rows;
      }
    }
    throw new AssertionError("the pull did not end within 20 pages");
  }

  /**
   * A limit below 1 (a WebSocket {@code max_deltas}, a protobuf uint32, of 2^31 or more arrives
   * negative) is served as 1: answered, without restarting the gateway, which keeps its sessions.
   */
  @Test
  void aPullWithALimitBelowOneIsAnsweredWithOneDeltaAndTheGatewayKeepsServing() throws Exception {
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("g5", SETTINGS, NO_LAKE, NO_CHECKPOINTS));
    TestProbe<SyncGateway.Broadcast> session = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Subscribe(session.getRef(), null, Map.of()));
    TestProbe<SyncGateway.PushReply> replies = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Push("a", List.of(insert("a", "1"), insert("a", "2")), null, replies.getRef()));
    assertThat(replies.receiveMessage()).isInstanceOf(SyncGateway.PushAccepted.class);
    session.receiveMessage();

    TestProbe<SyncGateway.PullResult> pull = testKit.createTestProbe();
    for (int limit : new int[] {0, -1, Integer.MIN_VALUE}) {
      gateway.tell(new SyncGateway.Pull(0, limit, Map.of(), pull.getRef()));
      SyncGateway.PullReply page = (SyncGateway.PullReply) pull.receiveMessage();
      assertThat(page.deltas()).as("limit " + limit).extracting(RowDelta::rowId).containsExactly("1");
      assertThat(page.hasMore()).isTrue();
    }
    // From past the first delta, the largest limit: where it starts plus the limit overflows an int.
    gateway.tell(new SyncGateway.Pull(((SyncGateway.PullReply) pullFirst(gateway, pull)).serverHlc(),
        Integer.MAX_VALUE, Map.of(), pull.getRef()));
    assertThat(((SyncGateway.PullReply) pull.receiveMessage()).deltas()).extracting(RowDelta::rowId).containsExactly("2");

    TestProbe<SyncGateway.Stats> stats = testKit.createTestProbe();
    gateway.tell(new SyncGateway.GetStats(stats.getRef()));
    assertThat(stats.receiveMessage().sessions()).isEqualTo(1);
    gateway.tell(new SyncGateway.Push("b", List.of(insert("b", "3")), null, replies.getRef()));
    assertThat(replies.receiveMessage()).isInstanceOf(SyncGateway.PushAccepted.class);
    assertThat(rowIds(session.receiveMessage().frame())).as("still subscribed").containsExactly("3");
  }

  private static SyncGateway.PullResult pullFirst(ActorRef<SyncGateway.Command> gateway,
                                                  TestProbe<SyncGateway.PullResult> pull) {
    gateway.tell(new SyncGateway.Pull(0, 1, Map.of(), pull.getRef()));
    return pull.receiveMessage();
  }

  /** As another node (or an older version) may send it: the bytes are decoded through the record's constructor. */
  @Test
  void aPullDecodedWithALimitBelowOneIsTakenAsOne() throws Exception {
    Serialization serialization = SerializationExtension.get(testKit.system());
    TestProbe<SyncGateway.PullResult> probe = testKit.createTestProbe();
    SyncGateway.Pull pull = new SyncGateway.Pull(5, 7, Map.of(), probe.getRef());
    Serializer serializer = serialization.findSerializerFor(pull);
    CBORMapper cbor = new CBORMapper();
    ObjectNode fields = (ObjectNode) cbor.readTree(serialization.serialize(pull).get());
    assertThat(fields.get("limit").asInt()).isEqualTo(7);
    fields.put("limit", -1);

    Object decoded = serialization.deserialize(cbor.writeValueAsBytes(fields), serializer.identifier(),
        Serializers.manifestFor(serializer, pull)).get();
    assertThat(decoded).isEqualTo(new SyncGateway.Pull(5, 1, Map.of(), probe.getRef()));
  }
}
