package io.lakeshard.core.eventstore;

import static io.lakeshard.core.eventstore.PushRuleTest.event;
import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.catalogue.IcebergCatalogue;
import io.lakeshard.core.catalogue.IcebergEventLog;
import io.lakeshard.core.eventstore.EventStore.Accepted;
import io.lakeshard.core.eventstore.EventStore.Command;
import io.lakeshard.core.eventstore.EventStore.Info;
import io.lakeshard.core.eventstore.EventStore.Page;
import io.lakeshard.core.eventstore.EventStore.PushReply;
import io.lakeshard.core.eventstore.EventStore.Unavailable;
import io.lakeshard.core.flush.FlushLimits;
import io.lakeshard.core.flush.FlushObserver;
import io.lakeshard.core.lake.LocalLakeAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A store's flush to a real Iceberg catalogue (JDBC on H2, files in a local lake), with faults
 * injected through test implementations of the port, as the gateway's flush tests do.
 */
class EventStoreFlushTest {
  /** Never flushes by itself: for tests that are not about the lake. */
  static final FlushLimits NEVER = flushSettings("max-buffer-bytes = 1GiB");
  static final EventLogLake NO_LAKE = new EventLogLake() {
    @Override
    public EventFlushResult append(EventFlush flush) {
      throw new IllegalStateException("no lake in this test");
    }

    @Override
    public List<StoredEvent> read(String storeId, String backendId, long afterSeqNum, int limit) {
      throw new IllegalStateException("no lake in this test");
    }
  };

  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config(
      "lakeshard.entity.journal-backoff { min = 50ms, max = 200ms }"));
  private static final EventStoreSettings SETTINGS = EventStoreSettings.fromConfig(testKit.system().settings().config());
  private static final Duration AWAIT = Duration.ofSeconds(30);
  private static final Path DIR = tempDir();
  private static final IcebergCatalogue CATALOGUE = IcebergCatalogue.jdbc(
      "jdbc:h2:file:" + DIR.resolve("catalogue") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "", new LocalLakeAdapter(DIR.resolve("lake")));
  private static final IcebergEventLog LAKE = new IcebergEventLog(CATALOGUE, new IcebergEventLog.Settings(4, 10));
  /** Flushes after every write (the age alarm is due at once), far from backpressure. */
  private static final FlushLimits EAGER = flushSettings("max-buffer-age = 0s");

  @AfterAll
  static void shutdown() throws Exception {
    testKit.shutdownTestKit();
    CATALOGUE.close();
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory(Files.createDirectories(Path.of("target")), "event-flush-test-").toAbsolutePath();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code flush} over reference.conf, with the age alarm an hour away unless it says otherwise. */
  private static FlushLimits flushSettings(String flush) {
    return FlushLimits.fromConfig(ConfigFactory.parseString("lakeshard.livestore.flush {" + flush + "}")
        .withFallback(ConfigFactory.parseString("lakeshard.livestore.flush.max-buffer-age = 1h"))
        .withFallback(ConfigFactory.load()).getConfig("lakeshard.livestore.flush"));
  }

  private static ActorRef<Command> start(String storeId, FlushLimits flush, EventLogLake lake) {
    return testKit.spawn(EventStore.create(storeId, SETTINGS, flush, lake));
  }

  private static void stop(ActorRef<Command> store) {
    TestProbe<Object> watcher = testKit.createTestProbe();
    testKit.stop(store);
    watcher.expectTerminated(store, AWAIT);
  }

  private static PushReply push(ActorRef<Command> store, long from, int count) {
    List<LiveEvent> batch = new ArrayList<>();
    for (long seq = from + 1; seq <= from + count; seq++) {
      batch.add(event(seq, seq - 1));
    }
    TestProbe<PushReply> reply = testKit.createTestProbe();
    store.tell(new EventStore.Push(batch, Optional.empty(), reply.ref()));
    return reply.receiveMessage(AWAIT);
  }

  private static Page pull(ActorRef<Command> store, long after) {
    TestProbe<EventStore.PullReply> reply = testKit.createTestProbe();
    store.tell(new EventStore.Pull(after, Optional.empty(), reply.ref()));
    return (Page) reply.receiveMessage(AWAIT);
  }

  private static Info info(ActorRef<Command> store) {
    TestProbe<Info> reply = testKit.createTestProbe();
    store.tell(new EventStore.GetInfo(reply.ref()));
    return reply.receiveMessage(AWAIT);
  }

  private static void awaitFlushedUpTo(ActorRef<Command> store, long seqNum) {
    testKit.createTestProbe().awaitAssert(AWAIT, Duration.ofMillis(100), () -> {
      assertThat(info(store).lastFlush()).hasValueSatisfying(last -> assertThat(last.upToSeqNum()).isEqualTo(seqNum));
      return null;
    });
  }

  private static List<Long> inLake(String storeId, String backendId) throws Exception {
    return LAKE.read(storeId, backendId, 0, 100_000).stream().map(StoredEvent::seqNum).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> seqNums = new ArrayList<>();
    for (long n = from; n <= to; n++) {
      seqNums.add(n);
    }
    return seqNums;
  }

  /** Pages of a pull from 0: their sizes and remaining counts, and every seqNum. */
  private static List<Page> pullAll(ActorRef<Command> store) {
    List<Page> pages = new ArrayList<>();
    long after = 0;
    do {
      Page page = pull(store, after);
      pages.add(page);
      after = page.events().isEmpty() ? after : page.events().get(page.events().size() - 1).seqNum();
    } while (pages.get(pages.size() - 1).remaining() > 0);
    return pages;
  }

  @Test
  void flushedEventsLeaveTheJournalAndComeBackFromTheLakeAfterARestart() throws Exception {
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    SnapshotTestKit snapshots = SnapshotTestKit.create(testKit.system());
    String persistenceId = "EventStore|fl-pull";
    ActorRef<Command> store = start("fl-pull", EAGER, LAKE);
    long head = 0;
    for (int i = 0; i < 5; i++, head += 50) {
      assertThat(push(store, head, 50)).isEqualTo(new Accepted(head + 50));
    }
    awaitFlushedUpTo(store, 250);
    Info info = info(store);
    assertThat(info.events()).isEqualTo(250);
    assertThat(inLake("fl-pull", info.backendId())).containsExactlyElementsOf(range(1, 250));
    testKit.createTestProbe().awaitAssert(AWAIT, Duration.ofMillis(100), () -> {
      assertThat(journal.persistedInStorage(persistenceId)).isEmpty();
      assertThat(snapshots.persistedInStorage(persistenceId)).hasSize(1);
      return null;
    });

    // After a restart, three more events stay unflushed: a pull from 0 reads the lake, then memory.
    stop(store);
    ActorRef<Command> restarted = start("fl-pull", flushSettings("max-buffer-bytes = 1GiB"), LAKE);
    assertThat(push(restarted, 250, 3)).isEqualTo(new Accepted(253));
    List<Page> pages = pullAll(restarted);
    assertThat(pages).extracting(page -> page.events().size()).containsExactly(100, 100, 53);
    assertThat(pages).extracting(Page::remaining).containsExactly(153L, 53L, 0L);
    List<Long> pulled = pages.stream().flatMap(page -> page.events().stream()).map(StoredEvent::seqNum).toList();
    assertThat(pulled).containsExactlyElementsOf(range(1, 253));
    assertThat(pages.get(0).backendId()).isEqualTo(info.backendId());
    assertThat(pages.get(0).events().get(0).json().text()).contains("\"seqNum\":1,");
    assertThat(pull(restarted, 249).events()).extracting(StoredEvent::seqNum).containsExactly(250L, 251L, 252L, 253L);
    assertThat(info(restarted).events()).isEqualTo(253);
  }

  @Test
  void aCrashBetweenTheCommitAndTheJournalWriteLeavesNoDuplicates() throws Exception {
    CountDownLatch committed = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    EventLogLake crashAfterCommit = new EventLogLake() {
      @Override
      public EventFlushResult append(EventFlush flush) throws Exception {
        LAKE.append(flush);
        committed.countDown();
        never.await(); // the node dies here: the result never reaches the journal
        throw new IllegalStateException("unreachable");
      }

      @Override
      public List<StoredEvent> read(String storeId, String backendId, long afterSeqNum, int limit) throws Exception {
        return LAKE.read(storeId, backendId, afterSeqNum, limit);
      }
    };
    ActorRef<Command> doomed = start("fl-crash", EAGER, crashAfterCommit);
    assertThat(push(doomed, 0, 10)).isEqualTo(new Accepted(10));
    assertThat(committed.await(30, TimeUnit.SECONDS)).isTrue();
    String backendId = info(doomed).backendId();
    stop(doomed);
    assertThat(inLake("fl-crash", backendId)).containsExactlyElementsOf(range(1, 10));

    ActorRef<Command> restarted = start("fl-crash", EAGER, LAKE);
    awaitFlushedUpTo(restarted, 10);
    assertThat(info(restarted).lastFlush().orElseThrow().seq()).isEqualTo(1);
    assertThat(inLake("fl-crash", backendId)).containsExactlyElementsOf(range(1, 10));

    assertThat(push(restarted, 10, 3)).isEqualTo(new Accepted(13));
    awaitFlushedUpTo(restarted, 13);
    assertThat(info(restarted).lastFlush().orElseThrow().seq()).isEqualTo(2);
    assertThat(inLake("fl-crash", backendId)).containsExactlyElementsOf(range(1, 13));
    assertThat(pullAll(restarted).stream().flatMap(page -> page.events().stream()).map(StoredEvent::seqNum))
        .containsExactlyElementsOf(range(1, 13));
    never.countDown();
  }

  /** A lake that fails while {@code failing} holds, recording when. */
  private static final class FailingLake implements EventLogLake {
    final AtomicInteger failuresLeft = new AtomicInteger();
    final AtomicBoolean failing = new AtomicBoolean();
    final List<Long> failedAtNanos = new CopyOnWriteArrayList<>();

    @Override
    public EventFlushResult append(EventFlush flush) throws Exception {
      if (failing.get() || failuresLeft.getAndDecrement() > 0) {
        failedAtNanos.add(System.nanoTime());
        throw new java.io.IOException("injected: the object store is down");
      }
      return LAKE.append(flush);
    }

    @Override
    public List<StoredEvent> read(String storeId, String backendId, long afterSeqNum, int limit) throws Exception {
      return LAKE.read(storeId, backendId, afterSeqNum, limit);
    }
  }

  /** Counts what a store reports of its flushes (the node's metrics). */
  private static final class CountingObserver implements FlushObserver {
    /** Each reported flush: its duration (ns), rows and bytes. */
    final List<long[]> flushes = new CopyOnWriteArrayList<>();
    final AtomicInteger failures = new AtomicInteger();

    @Override
    public void flushed(long nanos, long rowCount, long bytes) {
      flushes.add(new long[] {nanos, rowCount, bytes});
    }

    @Override
    public void flushFailed() {
      failures.incrementAndGet();
    }
  }

  @Test
  void aFailingLakeIsRetriedWithBackoffThenEveryEventLandsOnce() throws Exception {
    FailingLake lake = new FailingLake();
    lake.failuresLeft.set(3);
    CountingObserver observer = new CountingObserver();
    ActorRef<Command> store = testKit.spawn(EventStore.create("fl-backoff", SETTINGS, flushSettings(
        "max-buffer-age = 0s, backoff { min = 100ms, max = 2s, jitter = 0 }"), lake, System::currentTimeMillis, observer));
    assertThat(push(store, 0, 20)).isEqualTo(new Accepted(20));

    awaitFlushedUpTo(store, 20);
    assertThat(observer.failures).as("failed attempts reported").hasValue(3);
    assertThat(observer.flushes).isNotEmpty().allSatisfy(flush -> {
      assertThat(flush[0]).as("duration").isPositive();
      assertThat(flush[2]).as("bytes").isPositive();
    });
    assertThat(observer.flushes.stream().mapToLong(flush -> flush[1]).sum()).as("every event reported flushed once")
        .isEqualTo(20);
    assertThat(inLake("fl-backoff", info(store).backendId())).containsExactlyElementsOf(range(1, 20));
    List<Long> failures = lake.failedAtNanos;
    assertThat(failures).hasSize(3);
    for (int i = 1; i < failures.size(); i++) {
      long gapMs = TimeUnit.NANOSECONDS.toMillis(failures.get(i) - failures.get(i - 1));
      assertThat(gapMs).as("gap before retry %d", i).isGreaterThanOrEqualTo(100L << (i - 1));
    }
  }

  @Test
  void pastTwiceTheLimitPushesAreRefusedUntilAFlushSucceedsAndNothingAcceptedIsLost() throws Exception {
    FailingLake lake = new FailingLake();
    lake.failing.set(true);
    ActorRef<Command> store = start("fl-full", flushSettings(
        "max-buffer-bytes = 4KiB, max-buffer-age = 300ms, backoff { min = 200ms, max = 200ms, jitter = 0 }"), lake);
    long head = 0;
    PushReply reply = null;
    for (int i = 0; i < 100; i++) {
      reply = push(store, head, 10);
      if (!(reply instanceof Accepted)) {
        break;
      }
      head += 10;
    }
    assertThat(reply).isInstanceOf(Unavailable.class);
    assertThat(((Unavailable) reply).message()).contains("unflushed bytes");
    assertThat(head).isGreaterThan(10);

    lake.failing.set(false);
    awaitFlushedUpTo(store, head);
    assertThat(push(store, head, 1)).isEqualTo(new Accepted(head + 1));
    awaitFlushedUpTo(store, head + 1);
    assertThat(inLake("fl-full", info(store).backendId())).containsExactlyElementsOf(range(1, head + 1));
  }

  @Test
  void whileAHealthySlowFlushRunsPushesGoOnPastTwiceTheLimitAndNothingAcceptedIsLost() throws Exception {
    FlushLimits settings = flushSettings("max-buffer-bytes = 4KiB, backoff { min = 1h, max = 1h }");
    FailingLake failing = new FailingLake();
    failing.failing.set(true);
    long refusedWhileFailingAt = pushUntilRefused(start("fl-failing", settings, failing), 100_000).accepted();

    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    EventLogLake slow = new EventLogLake() {
      @Override
      public EventFlushResult append(EventFlush flush) throws Exception {
        started.countDown();
        assertThat(release.await(60, TimeUnit.SECONDS)).as("the test released the flush").isTrue();
        return LAKE.append(flush);
      }

      @Override
      public List<StoredEvent> read(String storeId, String backendId, long afterSeqNum, int limit) throws Exception {
        return LAKE.read(storeId, backendId, afterSeqNum, limit);
      }
    };
    ActorRef<Command> store = start("fl-slow", settings, slow);
    Refusal busy = pushUntilRefused(store, 100_000);
    assertThat(started.getCount()).as("a full buffer started the held flush").isZero();
    assertThat(busy.accepted()).as("accepted past where a failing lake refuses").isGreaterThan(4 * refusedWhileFailingAt);
    assertThat(busy.reply().message()).contains("slow flush");

    release.countDown();
    awaitFlushedUpTo(store, busy.accepted()); // the next flushes (by size) drain the rest
    assertThat(push(store, busy.accepted(), 10)).isEqualTo(new Accepted(busy.accepted() + 10));
    assertThat(inLake("fl-slow", info(store).backendId())).containsExactlyElementsOf(range(1, busy.accepted()));
  }

  /** The first refusal of pushes of 10, and how many events were accepted before it. */
  private record Refusal(long accepted, Unavailable reply) {}

  private static Refusal pushUntilRefused(ActorRef<Command> store, int maxEvents) {
    long head = 0;
    while (head < maxEvents) {
      PushReply reply = push(store, head, 10);
      if (reply instanceof Unavailable refused) {
        return new Refusal(head, refused);
      }
      assertThat(reply).isEqualTo(new Accepted(head + 10));
      head += 10;
    }
    throw new AssertionError("no refusal within " + maxEvents + " events");
  }

  /** No alarm (an hour) and no size trigger: only passivation flushes, and the store stops after. */
  @Test
  void aPassivatedStoreFlushesBeforeItStops() throws Exception {
    ActorRef<Command> store = start("fl-passivate", flushSettings("max-buffer-bytes = 1GiB"), LAKE);
    assertThat(push(store, 0, 30)).isEqualTo(new Accepted(30));
    String backendId = info(store).backendId();
    assertThat(inLake("fl-passivate", backendId)).isEmpty();

    TestProbe<Object> watcher = testKit.createTestProbe();
    store.tell(EventStore.Passivate.INSTANCE);
    watcher.expectTerminated(store, AWAIT);
    assertThat(inLake("fl-passivate", backendId)).containsExactlyElementsOf(range(1, 30));
  }
}
