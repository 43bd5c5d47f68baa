package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.catalogue.IcebergLake;
import io.lakeshard.core.checkpoint.CheckpointManifest;
import io.lakeshard.core.checkpoint.CheckpointStore;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.DeltaIds;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.lake.FailingLake;
import io.lakeshard.core.lake.LocalLakeAdapter;
import io.lakeshard.protocol.v1.SyncResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The flush alarm against a real Iceberg catalogue (JDBC on H2, files in a local lake), with
 * faults injected into the object store and between the catalogue commit and the journal write.
 */
class SyncGatewayFlushTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  private static final Path DIR = tempDir();
  private static final FailingLake STORE = new FailingLake(new LocalLakeAdapter(DIR.resolve("lake")));
  private static final IcebergLake LAKE = IcebergLake.jdbc(
      "jdbc:h2:file:" + DIR.resolve("catalogue") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "", STORE);
  private static final Duration AWAIT = Duration.ofSeconds(20);
  /** Checkpoints in their own store, so the faults injected into flushes never hit them. */
  private static final FailingLake CHECKPOINT_OBJECTS = new FailingLake(new LocalLakeAdapter(DIR.resolve("checkpoints")));
  /** Chunks of about 600 bytes: a handful of rows each, so a checkpoint has several. */
  private static final CheckpointStore CHECKPOINTS = new CheckpointStore(CHECKPOINT_OBJECTS, LAKE, 600);

  @AfterAll
  static void shutdown() throws Exception {
    testKit.shutdownTestKit();
    LAKE.close();
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory(Files.createDirectories(Path.of("target")), "flush-test-").toAbsolutePath();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static GatewaySettings settings(String flush) {
    Config config = ConfigFactory.parseString("lakeshard.gateway.flush {" + flush + "}")
        .withFallback(testKit.system().settings().config());
    return GatewaySettings.fromConfig(config);
  }

  /** Only the admin flush (or a buffer past 1 MiB) flushes: the tests decide when. */
  private static final GatewaySettings MANUAL = settings("max-buffer-age = 1h");

  private static RowDelta insert(String table, String row) {
    List<ColumnValue> columns = List.of(new ColumnValue("title", "\"" + row + "\""), new ColumnValue("n", "1"));
    long hlc = HybridClock.encode(System.currentTimeMillis(), 0);
    return new RowDelta(Op.INSERT, table, row, "c", columns, hlc, DeltaIds.compute("c", hlc, table, row, columns));
  }

  private static SyncGateway.PushReply push(ActorRef<SyncGateway.Command> gateway, String table, String... rows) {
    TestProbe<SyncGateway.PushReply> reply = testKit.createTestProbe();
    List<RowDelta> deltas = new ArrayList<>();
    for (String row : rows) {
      deltas.add(insert(table, row));
    }
    gateway.tell(new SyncGateway.Push("c", deltas, null, reply.getRef()));
    return reply.receiveMessage(AWAIT);
  }

  private static SyncGateway.FlushReply flush(ActorRef<SyncGateway.Command> gateway) {
    TestProbe<SyncGateway.FlushReply> reply = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Flush(reply.getRef()));
    return reply.receiveMessage(AWAIT);
  }

  private static List<RowDelta> pullAll(ActorRef<SyncGateway.Command> gateway, int pageSize) {
    TestProbe<SyncGateway.PullResult> reply = testKit.createTestProbe();
    List<RowDelta> all = new ArrayList<>();
    long since = 0;
    while (true) {
      gateway.tell(new SyncGateway.Pull(since, pageSize, Map.of(), reply.getRef()));
      SyncGateway.PullReply page = (SyncGateway.PullReply) reply.receiveMessage(AWAIT);
      all.addAll(page.deltas());
      since = page.serverHlc();
      if (!page.hasMore()) {
        return all;
      }
    }
  }

  private static List<String> rowIdsInIceberg(String table) {
    TableIdentifier id = TableIdentifier.of(IcebergLake.NAMESPACE, table);
    if (!LAKE.catalog().tableExists(id)) {
      return List.of();
    }
    List<String> rowIds = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(LAKE.catalog().loadTable(id)).build()) {
      records.forEach(record -> rowIds.add((String) record.getField("rowId")));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return rowIds;
  }

  private static String[] rows(String prefix, int from, int count) {
    String[] rows = new String[count];
    for (int i = 0; i < count; i++) {
      rows[i] = prefix + (from + i);
    }
    return rows;
  }

  @Test
  void afterThreeFlushesAPullFromZeroReturnsEveryDeltaOnceInStampOrder() throws Exception {
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-pull", MANUAL, LAKE, CHECKPOINTS));
    for (int flush = 0; flush < 3; flush++) {
      assertThat(push(gateway, "pulled", rows("r", flush * 10, 10))).isInstanceOf(SyncGateway.PushAccepted.class);
      SyncGateway.FlushDone done = (SyncGateway.FlushDone) flush(gateway);
      assertThat(done.result().seq()).isEqualTo(flush + 1);
      assertThat(done.result().rows()).isEqualTo(10);
    }
    push(gateway, "pulled", rows("r", 30, 5)); // still buffered

    for (int pageSize : new int[] {1000, 7}) {
      List<RowDelta> pulled = pullAll(gateway, pageSize);
      assertThat(pulled).extracting(RowDelta::rowId).as("page size %d", pageSize).containsExactly(rows("r", 0, 35));
    }
    assertThat(rowIdsInIceberg("pulled")).hasSize(30).doesNotHaveDuplicates();
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.NothingToFlush.class);
  }

  /** docs/design.md §5: a snapshot follows each flush and the journal before it is deleted. */
  @Test
  void afterEachFlushTheJournalHoldsOnlyWhatCameSinceAndOneSnapshot() throws Exception {
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    SnapshotTestKit snapshots = SnapshotTestKit.create(testKit.system());
    String persistenceId = "SyncGateway|f-bounded";
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-bounded", MANUAL, LAKE, CHECKPOINTS));
    int pushesPerFlush = 5;
    for (int flush = 0; flush < 4; flush++) {
      for (int i = 0; i < pushesPerFlush; i++) {
        push(gateway, "bounded", "k" + (flush * pushesPerFlush + i)); // one journal write each
      }
      assertThat(journal.persistedInStorage(persistenceId)).hasSizeGreaterThanOrEqualTo(pushesPerFlush);
      assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
      awaitAssert(() -> assertThat(journal.persistedInStorage(persistenceId)).isEmpty());
      awaitAssert(() -> assertThat(snapshots.persistedInStorage(persistenceId)).hasSize(1));
    }
    push(gateway, "bounded", "k20");
    push(gateway, "bounded", "k21");
    assertThat(journal.persistedInStorage(persistenceId)).hasSize(2)
        .allMatch(event -> event instanceof GatewayLedger.DeltasAccepted);

    testKit.stop(gateway);
    ActorRef<SyncGateway.Command> recovered = testKit.spawn(SyncGateway.create("f-bounded", MANUAL, LAKE, CHECKPOINTS));
    assertThat(pullAll(recovered, 7)).extracting(RowDelta::rowId).containsExactly(rows("k", 0, 22));
  }

  @Test
  void aFullBufferFlushesAtOnceAndAnOldOneWhenItsAlarmRings() throws Exception {
    ActorRef<SyncGateway.Command> bySize =
        testKit.spawn(SyncGateway.create("f-size", settings("max-buffer-age = 1h, max-buffer-bytes = 2KiB"), LAKE, CHECKPOINTS));
    for (int i = 0; i < 20 && rowIdsInIceberg("by_size").isEmpty(); i++) {
      push(bySize, "by_size", rows("s", i * 5, 5));
    }
    awaitAssert(() -> assertThat(rowIdsInIceberg("by_size")).isNotEmpty());

    ActorRef<SyncGateway.Command> byAge =
        testKit.spawn(SyncGateway.create("f-age", settings("max-buffer-age = 300ms"), LAKE, CHECKPOINTS));
    push(byAge, "by_age", "a1", "a2");
    awaitAssert(() -> assertThat(rowIdsInIceberg("by_age")).containsExactlyInAnyOrder("a1", "a2"));
  }

  @Test
  void aFailingObjectStoreIsRetriedWithBackoffThenEveryDeltaLandsOnce() throws Exception {
    GatewaySettings settings = settings("max-buffer-age = 1h, backoff { min = 100ms, max = 2s, jitter = 0 }");
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-backoff", settings, LAKE, CHECKPOINTS));
    push(gateway, "backoff", rows("b", 0, 20));
    STORE.failNext(4);

    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushFailed.class);
    awaitAssert(() -> assertThat(rowIdsInIceberg("backoff")).hasSize(20));

    assertThat(rowIdsInIceberg("backoff")).containsExactlyInAnyOrder(rows("b", 0, 20));
    List<Long> failures = STORE.failedAt();
    assertThat(failures).hasSize(4);
    for (int i = 1; i < failures.size(); i++) {
      long gapMs = TimeUnit.NANOSECONDS.toMillis(failures.get(i) - failures.get(i - 1));
      assertThat(gapMs).as("gap before retry %d", i).isGreaterThanOrEqualTo(100L << (i - 1));
    }
  }

  /** The ledger restarts after the failed write of the flush's plan; the flush is retried with its backoff. */
  @Test
  void aFlushWhosePlanCouldNotBeJournaledIsRetriedAndLandsOnce() throws Exception {
    GatewaySettings settings = settings("max-buffer-age = 1h, backoff { min = 100ms, max = 1s, jitter = 0 }");
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-plan", settings, LAKE, CHECKPOINTS));
    assertThat(push(gateway, "plan", rows("j", 0, 10))).isInstanceOf(SyncGateway.PushAccepted.class);
    PersistenceTestKit.create(testKit.system()).failNextPersisted("SyncGateway|f-plan");

    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushFailed.class);
    awaitAssert(() -> assertThat(rowIdsInIceberg("plan")).hasSize(10));
    assertThat(rowIdsInIceberg("plan")).containsExactlyInAnyOrder(rows("j", 0, 10));
    assertThat(push(gateway, "plan", "j10")).isInstanceOf(SyncGateway.PushAccepted.class);
    assertThat(pullAll(gateway, 100)).extracting(RowDelta::rowId).containsExactly(rows("j", 0, 11));
  }

  @Test
  void aCrashBetweenTheCatalogueCommitAndTheJournalWriteLeavesNoDuplicates() throws Exception {
    CountDownLatch committed = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    GatewayLake crashAfterCommit = flushingWith(plan -> {
      LAKE.flush(plan);
      committed.countDown();
      never.await(); // the node dies here: the result never reaches the journal
      throw new IllegalStateException("unreachable");
    });
    ActorRef<SyncGateway.Command> doomed = testKit.spawn(SyncGateway.create("f-crash", MANUAL, crashAfterCommit, CHECKPOINTS));
    push(doomed, "crash", rows("x", 0, 10));
    doomed.tell(new SyncGateway.Flush(testKit.<SyncGateway.FlushReply>createTestProbe().getRef()));
    assertThat(committed.await(20, TimeUnit.SECONDS)).isTrue();
    testKit.stop(doomed);
    assertThat(rowIdsInIceberg("crash")).hasSize(10);

    ActorRef<SyncGateway.Command> restarted = testKit.spawn(SyncGateway.create("f-crash", MANUAL, LAKE, CHECKPOINTS));
    TestProbe<SyncGateway.Stats> stats = testKit.createTestProbe();
    awaitAssert(() -> {
      restarted.tell(new SyncGateway.GetStats(stats.getRef()));
      SyncGateway.Stats now = stats.receiveMessage(AWAIT);
      assertThat(now.lastFlushSeq()).isEqualTo(1);
      assertThat(now.bufferedDeltas()).isZero();
    });
    assertThat(rowIdsInIceberg("crash")).containsExactlyInAnyOrder(rows("x", 0, 10));

    push(restarted, "crash", rows("x", 10, 3));
    assertThat(((SyncGateway.FlushDone) flush(restarted)).result().seq()).isEqualTo(2);
    assertThat(rowIdsInIceberg("crash")).containsExactlyInAnyOrder(rows("x", 0, 13));
    assertThat(pullAll(restarted, 100)).extracting(RowDelta::rowId).containsExactly(rows("x", 0, 13));
    never.countDown();
  }

  @Test
  void pastTwiceTheBufferLimitPushesAreThrottledAndNothingAcceptedIsLost() throws Exception {
    GatewaySettings settings = settings("max-buffer-age = 1h, max-buffer-bytes = 4KiB, backoff { min = 1h, max = 1h }");
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-full", settings, LAKE, CHECKPOINTS));
    STORE.failNext(Integer.MAX_VALUE);
    Set<String> acknowledged = new HashSet<>();
    SyncGateway.PushReply reply = null;
    for (int i = 0; i < 200; i++) {
      String[] batch = rows("p", i * 5, 5);
      reply = push(gateway, "full", batch);
      if (!(reply instanceof SyncGateway.PushAccepted)) {
        break;
      }
      acknowledged.addAll(List.of(batch));
    }
    assertThat(reply).isInstanceOf(SyncGateway.PushThrottled.class);
    assertThat(((SyncGateway.PushThrottled) reply).retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(acknowledged).hasSizeGreaterThan(10);
    SyncGateway.FlushStatus throttling = stats(gateway).flushing();
    assertThat(throttling.backpressure()).isTrue();
    assertThat(throttling.throttledPushes()).isEqualTo(1);
    awaitAssert(() -> assertThat(stats(gateway).flushing().failuresInARow()).as("the flush that ran failed").isOne());
    assertThat(throttling.lastFlushAtMillis()).as("no flush committed yet").isZero();

    STORE.failNext(0);
    long beforeFlush = System.currentTimeMillis();
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    SyncGateway.FlushStatus flushed = stats(gateway).flushing();
    assertThat(flushed.backpressure()).isFalse();
    assertThat(flushed.failuresInARow()).isZero();
    assertThat(flushed.throttledPushes()).as("counted since the gateway started").isEqualTo(1);
    assertThat(flushed.lastFlushAtMillis()).isBetween(beforeFlush, System.currentTimeMillis());
    assertThat(push(gateway, "full", "after")).isInstanceOf(SyncGateway.PushAccepted.class);
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    acknowledged.add("after");
    assertThat(rowIdsInIceberg("full")).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(acknowledged);
  }

  /** A gateway (4 KiB buffer limit) whose flushes wait for {@code release}: a healthy but slow lake. */
  private record HeldGateway(ActorRef<SyncGateway.Command> ref, GatewaySettings settings, CountDownLatch started,
                             CountDownLatch release) {
    static HeldGateway spawn(String id) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      GatewaySettings settings = SyncGatewayFlushTest.settings("max-buffer-age = 1h, max-buffer-bytes = 4KiB");
      GatewayLake held = flushingWith(plan -> {
        started.countDown();
        assertThat(release.await(60, TimeUnit.SECONDS)).as("the test released the flush").isTrue();
        return LAKE.flush(plan);
      });
      return new HeldGateway(testKit.spawn(SyncGateway.create(id, settings, held, CHECKPOINTS)), settings, started, release);
    }
  }

  private interface FlushStep {
    FlushResult flush(FlushPlan plan) throws Exception;
  }

  /** The test's lake with its flush replaced by {@code step}; reads go to the lake as they are. */
  private static GatewayLake flushingWith(FlushStep step) {
    return new GatewayLake() {
      @Override
      public FlushResult flush(FlushPlan plan) throws Exception {
        return step.flush(plan);
      }

      @Override
      public List<Accepted> read(String gatewayId, Collection<String> tables, long since, long upTo, int limit)
          throws Exception {
        return LAKE.read(gatewayId, tables, since, upTo, limit);
      }
    };
  }

  /** Pushes batches of five rows until one is refused or the buffer holds {@code untilBytes}; returns the acknowledged rows. */
  private static Set<String> pushUntil(ActorRef<SyncGateway.Command> gateway, String table, long untilBytes,
                                       int maxBatches) {
    Set<String> acknowledged = new HashSet<>();
    for (int i = 0; i < maxBatches && stats(gateway).bufferedBytes() < untilBytes; i++) {
      String[] batch = rows("p", i * 5, 5);
      if (!(push(gateway, table, batch) instanceof SyncGateway.PushAccepted)) {
        break;
      }
      acknowledged.addAll(List.of(batch));
    }
    return acknowledged;
  }

  @Test
  void aFlushAskedWhileAFlushRunsIsAnsweredEvenWhenThatFlushLeftNothing() throws Exception {
    HeldGateway held = HeldGateway.spawn("f-asked-during");
    ActorRef<SyncGateway.Command> gateway = held.ref();
    assertThat(push(gateway, "during", rows("d", 0, 5))).isInstanceOf(SyncGateway.PushAccepted.class);
    TestProbe<SyncGateway.FlushReply> first = testKit.createTestProbe();
    TestProbe<SyncGateway.FlushReply> second = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Flush(first.getRef()));
    assertThat(held.started().await(20, TimeUnit.SECONDS)).as("the first flush started").isTrue();
    // in the mailbox before the held flush can end, so it comes while that flush runs
    gateway.tell(new SyncGateway.Flush(second.getRef()));
    held.release().countDown();
    assertThat(first.receiveMessage(AWAIT)).isInstanceOf(SyncGateway.FlushDone.class);
    assertThat(second.receiveMessage(AWAIT)).as("answered although the first flush took every delta")
        .isInstanceOf(SyncGateway.NothingToFlush.class);
    assertThat(rowIdsInIceberg("during")).containsExactlyInAnyOrder(rows("d", 0, 5));
  }

  @Test
  void whileAHealthySlowFlushRunsPushesPastTwiceTheLimitAreStillAcceptedAndLandOnce() throws Exception {
    HeldGateway held = HeldGateway.spawn("f-busy");
    ActorRef<SyncGateway.Command> gateway = held.ref();
    long limit = held.settings().flush().maxBufferBytes();
    Set<String> acknowledged = pushUntil(gateway, "busy", 3 * limit, 1_000);
    assertThat(held.started().await(20, TimeUnit.SECONDS)).as("a full buffer started a flush").isTrue();
    SyncGateway.Stats during = stats(gateway);
    assertThat(during.bufferedBytes()).as("accepted past 2x the limit while the flush was held")
        .isGreaterThanOrEqualTo(3 * limit);
    assertThat(during.flushing().throttledPushes()).isZero();
    assertThat(during.flushing().backpressure()).isFalse();

    held.release().countDown();
    awaitAssert(() -> assertThat(stats(gateway).bufferedDeltas()).as("the next flushes drain the rest").isZero());
    assertThat(rowIdsInIceberg("busy")).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(acknowledged);
  }

  @Test
  void pastTheBusyLimitASlowFlushTurnsPushesAwayAndNothingAcceptedIsLost() throws Exception {
    HeldGateway held = HeldGateway.spawn("f-slow");
    ActorRef<SyncGateway.Command> gateway = held.ref();
    Set<String> acknowledged = pushUntil(gateway, "slow", Long.MAX_VALUE, 5_000);
    SyncGateway.Stats refusing = stats(gateway);
    assertThat(refusing.flushing().backpressure()).as("refusing once past the busy limit").isTrue();
    assertThat(refusing.flushing().throttledPushes()).isOne();
    assertThat(refusing.bufferedBytes()).isGreaterThanOrEqualTo(held.settings().flush().busyLimitBytes());
    assertThat(refusing.flushing().failuresInARow()).as("nothing failed: the lake is only slow").isZero();

    held.release().countDown();
    awaitAssert(() -> assertThat(stats(gateway).bufferedDeltas()).isZero());
    assertThat(stats(gateway).flushing().backpressure()).isFalse();
    assertThat(push(gateway, "slow", "after")).isInstanceOf(SyncGateway.PushAccepted.class);
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    acknowledged.add("after");
    assertThat(rowIdsInIceberg("slow")).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(acknowledged);
  }

  /** A delta for {@code row} whose HLC is {@code hlc}, so the test decides whether it is stale. */
  private static SyncGateway.PushAccepted pushAt(ActorRef<SyncGateway.Command> gateway, String table, String row,
                                                 long hlc) {
    List<ColumnValue> columns = List.of(new ColumnValue("title", "\"stale\""), new ColumnValue("n", "0"));
    RowDelta delta = new RowDelta(Op.UPDATE, table, row, "c", columns, hlc, DeltaIds.compute("c", hlc, table, row, columns));
    TestProbe<SyncGateway.PushReply> reply = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Push("c", List.of(delta), null, reply.getRef()));
    return (SyncGateway.PushAccepted) reply.receiveMessage(AWAIT);
  }

  /**
   * The row index holds the buffered rows and the {@code row-window} most recently written flushed
   * ones, and so does each snapshot. A delta for a row it forgot is accepted whole, as LakeSync's
   * gateway accepts deltas after a flush, and lands in the lake; a stale delta for a row it still
   * holds loses its merge. Both hold again after a restart, which goes on forgetting the oldest.
   */
  @Test
  void theRowIndexStaysAtItsWindowAndADeltaForAForgottenRowIsAcceptedAndLands() throws Exception {
    GatewaySettings settings = GatewaySettings.fromConfig(ConfigFactory.parseString(
            "lakeshard.gateway { row-window = 5, flush.max-buffer-age = 1h }")
        .withFallback(testKit.system().settings().config()));
    SnapshotTestKit snapshots = SnapshotTestKit.create(testKit.system());
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-window", settings, LAKE, CHECKPOINTS));
    long stale = HybridClock.encode(System.currentTimeMillis() - 60_000, 0); // older than every write below
    for (int flush = 0; flush < 4; flush++) {
      push(gateway, "window", rows("w", flush * 20, 20));
      assertThat(stats(gateway).rows()).isEqualTo((flush == 0 ? 0 : 5) + 20);
      assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
      assertThat(stats(gateway).rows()).isEqualTo(5);
    }
    awaitAssert(() -> assertThat(snapshots.persistedInStorage("SyncGateway|f-window"))
        .extracting(saved -> ((GatewayLedger.Snapshot) saved.second()).rows().keySet())
        .containsExactly(Set.of("window:w75", "window:w76", "window:w77", "window:w78", "window:w79")));

    assertThat(pushAt(gateway, "window", "w0", stale).deltas()).as("forgotten: accepted whole")
        .extracting(RowDelta::rowId, delta -> delta.columns().size()).containsExactly(tuple("w0", 2));
    assertThat(pushAt(gateway, "window", "w79", stale).deltas()).as("still merged against: loses").isEmpty();
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    List<String> expected = new ArrayList<>(List.of(rows("w", 0, 80)));
    expected.add("w0");
    assertThat(rowIdsInIceberg("window")).containsExactlyInAnyOrderElementsOf(expected);

    testKit.stop(gateway);
    ActorRef<SyncGateway.Command> recovered = testKit.spawn(SyncGateway.create("f-window", settings, LAKE, CHECKPOINTS));
    assertThat(stats(recovered).rows()).isEqualTo(5);
    assertThat(pushAt(recovered, "window", "w77", stale).deltas()).isEmpty();
    assertThat(pushAt(recovered, "window", "w75", stale).deltas()).extracting(RowDelta::rowId).containsExactly("w75");
    expected.add("w75");
    assertThat(pullAll(recovered, 30)).extracting(RowDelta::rowId).containsExactlyElementsOf(expected);
    assertThat(flush(recovered)).isInstanceOf(SyncGateway.FlushDone.class);
    awaitAssert(() -> assertThat(snapshots.persistedInStorage("SyncGateway|f-window"))
        .extracting(saved -> ((GatewayLedger.Snapshot) saved.second()).rows().keySet())
        .as("the recovered index in write order: the oldest, w76, goes")
        .containsExactly(Set.of("window:w77", "window:w78", "window:w79", "window:w0", "window:w75")));
  }

  private static SyncGateway.Stats stats(ActorRef<SyncGateway.Command> gateway) {
    TestProbe<SyncGateway.Stats> stats = testKit.createTestProbe();
    gateway.tell(new SyncGateway.GetStats(stats.getRef()));
    return stats.receiveMessage(AWAIT);
  }

  // ---- checkpoints ----

  private static GatewaySettings checkpointSettings(String checkpoint) {
    return GatewaySettings.fromConfig(ConfigFactory.parseString(
            "lakeshard.gateway.flush.max-buffer-age = 1h\nlakeshard.gateway.checkpoint {" + checkpoint + "}")
        .withFallback(testKit.system().settings().config()));
  }

  private static RowDelta change(Op op, String table, String row, String columnsJson) {
    List<ColumnValue> columns = new ArrayList<>();
    if (!columnsJson.isEmpty()) {
      for (String pair : columnsJson.split(";")) {
        String[] nameValue = pair.split("=", 2);
        columns.add(new ColumnValue(nameValue[0], nameValue[1]));
      }
    }
    long hlc = HybridClock.encode(System.currentTimeMillis(), 0);
    return new RowDelta(op, table, row, "c", columns, hlc, DeltaIds.compute("c", hlc, table, row, columns));
  }

  private static void pushChanges(ActorRef<SyncGateway.Command> gateway, RowDelta... deltas) {
    TestProbe<SyncGateway.PushReply> reply = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Push("c", List.of(deltas), null, reply.getRef()));
    assertThat(reply.receiveMessage(AWAIT)).isInstanceOf(SyncGateway.PushAccepted.class);
  }

  private static SyncGateway.CheckpointReply checkpoint(ActorRef<SyncGateway.Command> gateway) {
    return checkpoint(gateway, 0);
  }

  private static SyncGateway.CheckpointReply checkpoint(ActorRef<SyncGateway.Command> gateway, long at) {
    TestProbe<SyncGateway.CheckpointReply> reply = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Checkpoint(reply.getRef(), at));
    return reply.receiveMessage(AWAIT);
  }

  /** What a client holds after applying {@code deltas} in order: table:rowId to its columns (the test's own fold). */
  private static Map<String, Map<String, String>> applied(List<RowDelta> deltas) {
    Map<String, Map<String, String>> rows = new LinkedHashMap<>();
    for (RowDelta delta : deltas) {
      if (delta.op() == Op.DELETE) {
        rows.remove(delta.rowKey());
      } else {
        Map<String, String> row = rows.computeIfAbsent(delta.rowKey(), key -> new LinkedHashMap<>());
        delta.columns().forEach(column -> row.put(column.column(), column.json()));
      }
    }
    return rows;
  }

  /** The deltas of the gateway's latest checkpoint, chunk by chunk; each chunk carries the snapshot stamp. */
  private static List<RowDelta> checkpointDeltas(String gatewayId) throws Exception {
    CheckpointManifest manifest = CHECKPOINTS.latest(gatewayId).orElseThrow();
    assertThat(manifest.chunks()).hasSize(manifest.chunkCount());
    List<RowDelta> deltas = new ArrayList<>();
    for (String chunk : manifest.chunks()) {
      SyncResponse response = SyncResponse.parseFrom(CHECKPOINTS.chunk(gatewayId, chunk));
      assertThat(response.getServerHlc()).isEqualTo(manifest.snapshotStamp());
      deltas.addAll(WireDeltas.fromWire(response.getDeltasList()));
    }
    assertThat(deltas).hasSize(manifest.totalDeltas());
    return deltas;
  }

  /**
   * A checkpoint holds each live row once, as an INSERT with its latest columns, from the lake
   * and the buffer; the next one builds on it, and only the newest two stay in the store.
   */
  @Test
  void aCheckpointHoldsTheLatestVersionOfEveryRowFlushedOrBuffered() throws Exception {
    ActorRef<SyncGateway.Command> gateway =
        testKit.spawn(SyncGateway.create("f-ckpt", checkpointSettings("every-flushes = 0, after-changes = 0"), LAKE,
            CHECKPOINTS));
    for (int i = 0; i < 12; i++) {
      pushChanges(gateway, change(Op.INSERT, i % 2 == 0 ? "ck_a" : "ck_b", "r" + i, "title=\"t" + i + "\";n=" + i));
    }
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    pushChanges(gateway, change(Op.UPDATE, "ck_b", "r1", "n=100"), change(Op.DELETE, "ck_a", "r2", ""));
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    pushChanges(gateway, change(Op.UPDATE, "ck_b", "r3", "title=\"buffered\""), change(Op.DELETE, "ck_a", "r4", ""),
        change(Op.INSERT, "ck_a", "r2", "title=\"again\""));

    SyncGateway.CheckpointDone first = (SyncGateway.CheckpointDone) checkpoint(gateway);
    assertThat(first.rows()).isEqualTo(11);
    assertThat(first.chunks()).isGreaterThan(1);
    Map<String, Map<String, String>> expected = applied(pullAll(gateway, 100));
    assertThat(expected).hasSize(11).containsEntry("ck_b:r1", Map.of("title", "\"t1\"", "n", "100"))
        .containsEntry("ck_a:r2", Map.of("title", "\"again\""));
    List<RowDelta> deltas = checkpointDeltas("f-ckpt");
    assertThat(deltas).allMatch(delta -> delta.op() == Op.INSERT);
    assertThat(applied(deltas)).isEqualTo(expected);

    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    pushChanges(gateway, change(Op.UPDATE, "ck_a", "r0", "n=7"), change(Op.DELETE, "ck_b", "r5", ""));
    SyncGateway.CheckpointDone second = (SyncGateway.CheckpointDone) checkpoint(gateway);
    assertThat(Long.parseUnsignedLong(second.snapshotHlc())).isGreaterThan(Long.parseUnsignedLong(first.snapshotHlc()));
    assertThat(applied(checkpointDeltas("f-ckpt"))).isEqualTo(applied(pullAll(gateway, 100))).hasSize(10);

    pushChanges(gateway, change(Op.INSERT, "ck_a", "r99", "n=1"));
    SyncGateway.CheckpointDone third = (SyncGateway.CheckpointDone) checkpoint(gateway);
    assertThat(CHECKPOINT_OBJECTS.list("checkpoints/f-ckpt/"))
        .allMatch(key -> key.equals("checkpoints/f-ckpt/manifest.json")
            || key.startsWith("checkpoints/f-ckpt/" + second.snapshotHlc() + "/")
            || key.startsWith("checkpoints/f-ckpt/" + third.snapshotHlc() + "/"))
        .anyMatch(key -> key.startsWith("checkpoints/f-ckpt/" + second.snapshotHlc() + "/"));
    assertThat(((SyncGateway.CheckpointDone) checkpoint(gateway)).snapshotHlc())
        .as("nothing new: the same checkpoint").isEqualTo(third.snapshotHlc());

    CHECKPOINT_OBJECTS.deleteAll(CHECKPOINT_OBJECTS.list("checkpoints/f-ckpt/" + third.snapshotHlc() + "/"));
    pushChanges(gateway, change(Op.UPDATE, "ck_a", "r99", "n=2"));
    assertThat(checkpoint(gateway)).as("rebuilt from the lake when the last one's chunks are gone")
        .isInstanceOf(SyncGateway.CheckpointDone.class);
    assertThat(applied(checkpointDeltas("f-ckpt"))).isEqualTo(applied(pullAll(gateway, 100))).hasSize(11);
  }

  /**
   * A sharded gateway's shards checkpoint at a common stamp: one taken at a stamp the gateway has
   * passed (its clock, as a pull past the end answers it) holds what was stamped up to it, flushed
   * or buffered, and none of what came later; asked for again after a later checkpoint, it is
   * rebuilt rather than left holding the later changes.
   */
  @Test
  void aCheckpointAtAStampHoldsWhatWasStampedUpToItAlsoAfterALaterOne() throws Exception {
    ActorRef<SyncGateway.Command> gateway =
        testKit.spawn(SyncGateway.create("f-ckpt-at", checkpointSettings("every-flushes = 0, after-changes = 0"), LAKE,
            CHECKPOINTS));
    pushChanges(gateway, change(Op.INSERT, "ck_at", "flushed", "n=1"));
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    pushChanges(gateway, change(Op.INSERT, "ck_at", "buffered", "n=2"));
    TestProbe<SyncGateway.PullResult> clock = testKit.createTestProbe();
    gateway.tell(new SyncGateway.Pull(-1L, 1, Map.of(), clock.getRef()));
    long at = ((SyncGateway.PullReply) clock.receiveMessage(AWAIT)).serverHlc();
    Map<String, Map<String, String>> asOfAt = applied(pullAll(gateway, 100));
    pushChanges(gateway, change(Op.UPDATE, "ck_at", "flushed", "n=10"), change(Op.INSERT, "ck_at", "later", "n=3"));
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);

    SyncGateway.CheckpointDone atStamp = (SyncGateway.CheckpointDone) checkpoint(gateway, at);
    assertThat(atStamp.snapshotHlc()).isEqualTo(Long.toUnsignedString(at));
    assertThat(applied(checkpointDeltas("f-ckpt-at"))).isEqualTo(asOfAt).hasSize(2)
        .containsEntry("ck_at:flushed", Map.of("n", "1"));

    SyncGateway.CheckpointDone latest = (SyncGateway.CheckpointDone) checkpoint(gateway);
    assertThat(Long.parseUnsignedLong(latest.snapshotHlc())).isGreaterThan(at);
    assertThat(applied(checkpointDeltas("f-ckpt-at"))).isEqualTo(applied(pullAll(gateway, 100))).hasSize(3);

    assertThat(((SyncGateway.CheckpointDone) checkpoint(gateway, at)).snapshotHlc()).isEqualTo(Long.toUnsignedString(at));
    assertThat(applied(checkpointDeltas("f-ckpt-at"))).as("rebuilt, without the later changes").isEqualTo(asOfAt);
  }

  /** The policy writes one after flushes; a failed write is retried with backoff while pushes go on. */
  @Test
  void checkpointsFollowFlushesAndAFailedOneIsRetriedWhilePushesGoOn() throws Exception {
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-ckpt-policy",
        checkpointSettings("every-flushes = 2, after-changes = 0, backoff { min = 100ms, max = 1s, jitter = 0 }"),
        LAKE, CHECKPOINTS));
    pushChanges(gateway, change(Op.INSERT, "ck_policy", "p1", "n=1"));
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    assertThat(CHECKPOINTS.latest("f-ckpt-policy")).as("one flush is not yet two").isEmpty();

    CHECKPOINT_OBJECTS.failNext(3);
    pushChanges(gateway, change(Op.INSERT, "ck_policy", "p2", "n=2"));
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    pushChanges(gateway, change(Op.INSERT, "ck_policy", "p3", "n=3"));
    awaitAssert(() -> assertThat(CHECKPOINT_OBJECTS.failedAt()).hasSize(3));
    awaitAssert(() -> {
      try {
        assertThat(applied(checkpointDeltas("f-ckpt-policy"))).containsKeys("ck_policy:p1", "ck_policy:p2");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private static void awaitAssert(Runnable assertion) {
    testKit.createTestProbe().awaitAssert(AWAIT, () -> {
      assertion.run();
      return null;
    });
  }

  /** The local lake, failing the next N writes: a fake only to inject the fault. */
}
