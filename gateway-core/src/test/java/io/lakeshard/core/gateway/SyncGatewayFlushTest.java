package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.catalogue.IcebergLake;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.DeltaIds;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.lake.FailingLake;
import io.lakeshard.core.lake.LocalLakeAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
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
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-pull", MANUAL, LAKE));
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
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-bounded", MANUAL, LAKE));
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
    ActorRef<SyncGateway.Command> recovered = testKit.spawn(SyncGateway.create("f-bounded", MANUAL, LAKE));
    assertThat(pullAll(recovered, 7)).extracting(RowDelta::rowId).containsExactly(rows("k", 0, 22));
  }

  @Test
  void aFullBufferFlushesAtOnceAndAnOldOneWhenItsAlarmRings() throws Exception {
    ActorRef<SyncGateway.Command> bySize =
        testKit.spawn(SyncGateway.create("f-size", settings("max-buffer-age = 1h, max-buffer-bytes = 2KiB"), LAKE));
    for (int i = 0; i < 20 && rowIdsInIceberg("by_size").isEmpty(); i++) {
      push(bySize, "by_size", rows("s", i * 5, 5));
    }
    awaitAssert(() -> assertThat(rowIdsInIceberg("by_size")).isNotEmpty());

    ActorRef<SyncGateway.Command> byAge =
        testKit.spawn(SyncGateway.create("f-age", settings("max-buffer-age = 300ms"), LAKE));
    push(byAge, "by_age", "a1", "a2");
    awaitAssert(() -> assertThat(rowIdsInIceberg("by_age")).containsExactlyInAnyOrder("a1", "a2"));
  }

  @Test
  void aFailingObjectStoreIsRetriedWithBackoffThenEveryDeltaLandsOnce() throws Exception {
    GatewaySettings settings = settings("max-buffer-age = 1h, backoff { min = 100ms, max = 2s, jitter = 0 }");
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-backoff", settings, LAKE));
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
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-plan", settings, LAKE));
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
    GatewayLake crashAfterCommit = new GatewayLake() {
      @Override
      public FlushResult flush(FlushPlan plan) throws Exception {
        LAKE.flush(plan);
        committed.countDown();
        never.await(); // the node dies here: the result never reaches the journal
        throw new IllegalStateException("unreachable");
      }

      @Override
      public List<Accepted> read(String gatewayId, Collection<String> tables, long since, long upTo, int limit)
          throws Exception {
        return LAKE.read(gatewayId, tables, since, upTo, limit);
      }
    };
    ActorRef<SyncGateway.Command> doomed = testKit.spawn(SyncGateway.create("f-crash", MANUAL, crashAfterCommit));
    push(doomed, "crash", rows("x", 0, 10));
    doomed.tell(new SyncGateway.Flush(testKit.<SyncGateway.FlushReply>createTestProbe().getRef()));
    assertThat(committed.await(20, TimeUnit.SECONDS)).isTrue();
    testKit.stop(doomed);
    assertThat(rowIdsInIceberg("crash")).hasSize(10);

    ActorRef<SyncGateway.Command> restarted = testKit.spawn(SyncGateway.create("f-crash", MANUAL, LAKE));
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
    ActorRef<SyncGateway.Command> gateway = testKit.spawn(SyncGateway.create("f-full", settings, LAKE));
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

    STORE.failNext(0);
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    assertThat(push(gateway, "full", "after")).isInstanceOf(SyncGateway.PushAccepted.class);
    assertThat(flush(gateway)).isInstanceOf(SyncGateway.FlushDone.class);
    acknowledged.add("after");
    assertThat(rowIdsInIceberg("full")).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(acknowledged);
  }

  private static void awaitAssert(Runnable assertion) {
    testKit.createTestProbe().awaitAssert(AWAIT, () -> {
      assertion.run();
      return null;
    });
  }

  /** The local lake, failing the next N writes: a fake only to inject the fault. */
}
