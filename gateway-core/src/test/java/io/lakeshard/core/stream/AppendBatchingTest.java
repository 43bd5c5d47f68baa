package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.lake.LocalLakeAdapter;
import io.lakeshard.core.retry.Backoff;
import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.AppendSpec;
import io.lakeshard.core.stream.StreamProtocol.Appended;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit of appends ({@link AppendBatcher}): the journal holds a stream's first append write
 * until the test has sent everything, so what arrives meanwhile is known to form the next write.
 */
class AppendBatchingTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  /** Never written to: these streams stay far below a segment. */
  private static final LocalLakeAdapter LAKE = new LocalLakeAdapter(Path.of("target", "stream-test-lake"));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final Backoff SEGMENT_BACKOFF = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2);
  private static final Backoff JOURNAL_BACKOFF = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0);

  private int streams;
  private HeldJournal held;

  @BeforeEach
  void clearJournal() {
    journal.clearAll();
    held = new HeldJournal();
    journal.withPolicy(held);
  }

  @AfterEach
  void releaseJournal() {
    held.release();
    journal.resetPolicy();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /**
   * Counts each stream's journal writes, holds its first write of an append until {@link #release},
   * and fails the write after that when asked to.
   */
  private static final class HeldJournal implements ProcessingPolicy<JournalOperation> {
    final AtomicInteger writes = new AtomicInteger();
    final CountDownLatch released = new CountDownLatch(1);
    final CountDownLatch holding = new CountDownLatch(1);
    volatile boolean failTheNext;
    private boolean heldOnce;

    @Override
    public ProcessingResult tryProcess(String persistenceId, JournalOperation operation) {
      if (!(operation instanceof WriteEvents write)) {
        return ProcessingSuccess.getInstance();
      }
      writes.incrementAndGet();
      boolean append = write.getBatch().stream().anyMatch(event -> event instanceof StreamEvent.MessageAppended);
      if (append && !heldOnce) {
        heldOnce = true;
        holding.countDown();
        try {
          // bounded: a test that fails before releasing must not wedge the journal for the next
          released.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return ProcessingSuccess.getInstance();
      }
      if (append && failTheNext) {
        failTheNext = false;
        return StorageFailure.create(new IllegalStateException("test: the journal is down"));
      }
      return ProcessingSuccess.getInstance();
    }

    void release() {
      released.countDown();
    }

    void awaitHolding() throws InterruptedException {
      assertThat(holding.await(10, TimeUnit.SECONDS)).as("the first append's write reached the journal").isTrue();
    }
  }

  private ActorRef<StreamProtocol.Command> spawn(String id, StreamSettings.AppendBatching batching) {
    StreamSettings settings = StreamTestSupport.settings(Duration.ofSeconds(30), 1024 * 1024, 4 * 1024 * 1024, 1000,
        SEGMENT_BACKOFF, JOURNAL_BACKOFF, batching);
    return testKit.spawn(DurableStream.create(id, settings, LAKE, StreamTestSupport.NO_OTHER_STREAMS), id + "-" + streams++);
  }

  private ActorRef<StreamProtocol.Command> spawn(String id) {
    return spawn(id, new StreamSettings.AppendBatching(1024 * 1024, 1000, 4000));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private String create(ActorRef<StreamProtocol.Command> stream) {
    TestProbe<StreamProtocol.CreateReply> probe = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Create(new StreamProtocol.CreateSpec("text/plain", null, null, false, null, null),
        probe.getRef()));
    return ((StreamProtocol.Created) probe.receiveMessage()).meta().tail();
  }

  private TestProbe<AppendReply> send(ActorRef<StreamProtocol.Command> stream, AppendSpec spec) {
    TestProbe<AppendReply> probe = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Append(spec, probe.getRef()));
    return probe;
  }

  private static AppendSpec text(String data) {
    return new AppendSpec(bytes(data), "text/plain", null, null, false);
  }

  private static String readAll(ActorRef<StreamProtocol.Command> stream) {
    TestProbe<StreamProtocol.ReadReply> probe = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Read(Offsets.BEGINNING, false, probe.getRef()));
    StringBuilder out = new StringBuilder();
    ((StreamProtocol.Chunk) probe.receiveMessage()).messages()
        .forEach(m -> out.append(new String(m.data(), StandardCharsets.UTF_8)));
    return out.toString();
  }

  @Test
  void appendsArrivingDuringAWriteShareTheNextOneAndEachGetsItsOwnOffset() throws Exception {
    ActorRef<StreamProtocol.Command> stream = spawn("batched");
    String tail = create(stream);
    int before = held.writes.get();
    List<TestProbe<AppendReply>> replies = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      String body = "m" + i + "-".repeat(i % 7); // lengths differ, so every offset depends on all before it
      replies.add(send(stream, text(body)));
      tail = Offsets.next(tail, body.length());
      expected.add(tail);
      all.append(body);
    }
    held.awaitHolding();
    held.release();
    for (int i = 0; i < replies.size(); i++) {
      Appended appended = (Appended) replies.get(i).receiveMessage(Duration.ofSeconds(10));
      assertThat(appended.offset()).as("append %d", i).isEqualTo(expected.get(i));
      assertThat(appended.closed()).isFalse();
    }
    // The held write, and one for everything that arrived while it was held.
    assertThat(held.writes.get() - before).isBetween(1, 2);
    assertThat(journal.persistedInStorage("Stream|batched")).hasSize(1 + 50);
    assertThat(readAll(stream)).isEqualTo(all.toString());

    testKit.stop(stream);
    ActorRef<StreamProtocol.Command> again = spawn("batched");
    assertThat(readAll(again)).isEqualTo(all.toString());
    TestProbe<StreamProtocol.AppendReply> next = send(again, text("z"));
    assertThat(((Appended) next.receiveMessage()).offset()).isEqualTo(Offsets.next(tail, 1));
  }

  @Test
  void commandsBehindABatchSeeTheStateItLeavesInArrivalOrder() throws Exception {
    ActorRef<StreamProtocol.Command> stream = spawn("ordered");
    String tail = create(stream);
    TestProbe<AppendReply> first = send(stream, text("a"));
    held.awaitHolding();
    // These wait in Pekko's stash while the first write is held; then b and c form a batch.
    TestProbe<AppendReply> b = send(stream, new AppendSpec(bytes("b"), "text/plain", "0002", null, false));
    TestProbe<AppendReply> staleSeq = send(stream, new AppendSpec(bytes("x"), "text/plain", "0001", null, false));
    TestProbe<AppendReply> c = send(stream, text("c"));
    TestProbe<StreamProtocol.HeadReply> head = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Head(head.getRef()));
    TestProbe<AppendReply> close = send(stream, new AppendSpec(new byte[0], null, null, null, true));
    TestProbe<AppendReply> late = send(stream, text("late"));
    held.release();

    String afterA = Offsets.next(tail, 1);
    String afterB = Offsets.next(afterA, 1);
    String afterC = Offsets.next(afterB, 1);
    assertThat(((Appended) first.receiveMessage()).offset()).isEqualTo(afterA);
    assertThat(((Appended) b.receiveMessage()).offset()).isEqualTo(afterB);
    // b's Stream-Seq is not durable when x arrives: x waits for it, and is refused against it once it is.
    assertThat(((Refused) staleSeq.receiveMessage()).reason()).isEqualTo(Refusal.SEQ_CONFLICT);
    assertThat(((Appended) c.receiveMessage()).offset()).isEqualTo(afterC);
    assertThat(((StreamProtocol.Described) head.receiveMessage()).meta().tail()).isEqualTo(afterC);
    Appended closed = (Appended) close.receiveMessage();
    assertThat(closed.offset()).isEqualTo(afterC);
    assertThat(closed.closed()).isTrue();
    Refused refused = (Refused) late.receiveMessage();
    assertThat(refused.reason()).isEqualTo(Refusal.STREAM_CLOSED);
    assertThat(refused.tail()).isEqualTo(afterC);
    assertThat(readAll(stream)).isEqualTo("abc");
  }

  @Test
  void aFullBatchMakesTheNextAppendsWaitAndTooManyWaitingAreRefusedAsOverloaded() throws Exception {
    ActorRef<StreamProtocol.Command> stream = spawn("capped", new StreamSettings.AppendBatching(1024, 3, 2));
    String tail = create(stream);
    int before = held.writes.get();
    List<TestProbe<AppendReply>> replies = new ArrayList<>();
    replies.add(send(stream, text("0")));
    held.awaitHolding();
    for (int i = 1; i <= 8; i++) {
      replies.add(send(stream, text(Integer.toString(i))));
    }
    held.release();
    // 0 alone; 1-3 fill a batch; 4 and 5 wait behind it (the limit); 6-8 are turned away at once; 4 and 5 are the last batch.
    for (int i = 0; i <= 8; i++) {
      AppendReply reply = replies.get(i).receiveMessage(Duration.ofSeconds(10));
      if (i >= 6) {
        assertThat(((Refused) reply).reason()).as("append %d", i).isEqualTo(Refusal.OVERLOADED);
      } else {
        tail = Offsets.next(tail, 1);
        assertThat(((Appended) reply).offset()).as("append %d", i).isEqualTo(tail);
      }
    }
    assertThat(held.writes.get() - before).isEqualTo(3);
    assertThat(readAll(stream)).isEqualTo("012345");
  }

  @Test
  void aBatchWhoseWriteFailsIsRefusedWholeAndWhatWaitedBehindItIsAnsweredAfterRecovery() throws Exception {
    ActorRef<StreamProtocol.Command> stream = spawn("failed");
    create(stream);
    TestProbe<AppendReply> first = send(stream, text("a"));
    held.awaitHolding();
    held.failTheNext = true;
    TestProbe<AppendReply> lost1 = send(stream, text("b"));
    TestProbe<AppendReply> lost2 = send(stream, text("c"));
    TestProbe<StreamProtocol.HeadReply> head = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Head(head.getRef()));
    held.release();

    assertThat(first.receiveMessage()).isInstanceOf(Appended.class);
    assertThat(((Refused) lost1.receiveMessage(Duration.ofSeconds(10))).reason()).isEqualTo(Refusal.JOURNAL_UNAVAILABLE);
    assertThat(((Refused) lost2.receiveMessage(Duration.ofSeconds(10))).reason()).isEqualTo(Refusal.JOURNAL_UNAVAILABLE);
    // The head waited behind the failed batch: it is let go once the entity has recovered.
    String tail = ((StreamProtocol.Described) head.receiveMessage(Duration.ofSeconds(10))).meta().tail();
    TestProbe<AppendReply> retried = send(stream, text("b"));
    assertThat(((Appended) retried.receiveMessage(Duration.ofSeconds(10))).offset()).isEqualTo(Offsets.next(tail, 1));
    assertThat(readAll(stream)).isEqualTo("ab");
  }
}
