package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.lake.LocalLakeAdapter;
import io.lakeshard.core.retry.Backoff;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The durable stream entity with an in-memory journal: sequencing, JSON mode, producers, live readers, recovery. */
class DurableStreamTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  /** Never written to: these streams stay far below a segment. */
  private static final LocalLakeAdapter LAKE = new LocalLakeAdapter(Path.of("target", "stream-test-lake"));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final StreamSettings SETTINGS = StreamTestSupport.settings(
      Duration.ofMillis(300), 1024 * 1024, 4 * 1024 * 1024, 1000, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));

  /** Live reads that outwait any test, and a restart after a journal failure that takes a measurable 500 ms. */
  private static final StreamSettings PATIENT = StreamTestSupport.settings(
      Duration.ofSeconds(30), 1024 * 1024, 4 * 1024 * 1024, 1000, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2),
      new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5), 0));

  private int streams;

  @BeforeEach
  void clearJournal() {
    journal.clearAll();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private ActorRef<DurableStream.Command> spawn(String id) {
    return testKit.spawn(DurableStream.create(id, SETTINGS, LAKE, StreamTestSupport.NO_OTHER_STREAMS), id + "-" + streams++);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static DurableStream.CreateSpec spec(String contentType, String body) {
    return new DurableStream.CreateSpec(contentType, null, null, false, body == null ? null : bytes(body), null);
  }

  private DurableStream.CreateReply create(ActorRef<DurableStream.Command> stream, DurableStream.CreateSpec spec) {
    TestProbe<DurableStream.CreateReply> probe = testKit.createTestProbe();
    stream.tell(new DurableStream.Create(spec, probe.getRef()));
    return probe.receiveMessage();
  }

  private DurableStream.AppendReply append(ActorRef<DurableStream.Command> stream, DurableStream.AppendSpec spec) {
    TestProbe<DurableStream.AppendReply> probe = testKit.createTestProbe();
    stream.tell(new DurableStream.Append(spec, probe.getRef()));
    return probe.receiveMessage();
  }

  private static DurableStream.AppendSpec text(String data) {
    return new DurableStream.AppendSpec(bytes(data), "text/plain", null, null, false);
  }

  private DurableStream.ReadReply read(ActorRef<DurableStream.Command> stream, String offset) {
    TestProbe<DurableStream.ReadReply> probe = testKit.createTestProbe();
    stream.tell(new DurableStream.Read(offset, false, probe.getRef()));
    return probe.receiveMessage();
  }

  private static String text(DurableStream.ReadReply reply) {
    StringBuilder out = new StringBuilder();
    ((DurableStream.Chunk) reply).messages().forEach(m -> out.append(new String(m.data(), StandardCharsets.UTF_8)));
    return out.toString();
  }

  @Test
  void appendsAreJournaledBeforeTheyAreAcknowledgedAndOffsetsSortInAppendOrder() {
    ActorRef<DurableStream.Command> stream = spawn("s");
    assertThat(create(stream, spec("text/plain", "a"))).isInstanceOf(DurableStream.Created.class);
    DurableStream.Appended first = (DurableStream.Appended) append(stream, text("b"));
    assertThat(journal.persistedInStorage("Stream|s")).hasSize(2);
    DurableStream.Appended second = (DurableStream.Appended) append(stream, text("c"));
    assertThat(second.offset()).isGreaterThan(first.offset());

    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("abc");
    assertThat(text(read(stream, first.offset()))).isEqualTo("c");
    DurableStream.Chunk atTail = (DurableStream.Chunk) read(stream, second.offset());
    assertThat(atTail.messages()).isEmpty();
    assertThat(atTail.upToDate()).isTrue();
    assertThat(atTail.next()).isEqualTo(second.offset());
  }

  @Test
  void recoveryRestoresEveryAcknowledgedAppendAtItsOffset() {
    ActorRef<DurableStream.Command> stream = spawn("r");
    create(stream, spec("text/plain", null));
    DurableStream.Appended one = (DurableStream.Appended) append(stream, text("one"));
    append(stream, text("two"));
    testKit.stop(stream);

    ActorRef<DurableStream.Command> again = spawn("r");
    assertThat(text(read(again, one.offset()))).isEqualTo("two");
    assertThat(text(read(again, Offsets.BEGINNING))).isEqualTo("onetwo");
  }

  @Test
  void contentTypesAreCheckedAndAMissingOneIsToldApartFromAMismatch() {
    ActorRef<DurableStream.Command> stream = spawn("ct");
    create(stream, spec("text/plain", null));
    assertThat(((DurableStream.Refused) append(stream, new DurableStream.AppendSpec(bytes("x"), "application/json", null, null, false))).reason())
        .isEqualTo(DurableStream.Refusal.CONTENT_TYPE_MISMATCH);
    assertThat(((DurableStream.Refused) append(stream, new DurableStream.AppendSpec(bytes("x"), null, null, null, false))).reason())
        .isEqualTo(DurableStream.Refusal.CONTENT_TYPE_MISSING);
    assertThat(create(stream, spec("application/json", null))).isInstanceOf(DurableStream.Refused.class);
    assertThat(((DurableStream.Created) create(stream, spec("text/plain", null))).isNew()).isFalse();
  }

  @Test
  void jsonStreamsFlattenArraysAndRefuseInvalidJson() {
    ActorRef<DurableStream.Command> stream = spawn("j");
    create(stream, spec("application/json", "[]"));
    append(stream, new DurableStream.AppendSpec(bytes("[1, {\"a\": [2]}]"), "application/json", null, null, false));
    append(stream, new DurableStream.AppendSpec(bytes("\"x\""), "application/json", null, null, false));
    assertThat(((DurableStream.Refused) append(stream, new DurableStream.AppendSpec(bytes("{oops"), "application/json", null, null, false))).reason())
        .isEqualTo(DurableStream.Refusal.INVALID);
    assertThat(((DurableStream.Refused) append(stream, new DurableStream.AppendSpec(bytes("[]"), "application/json", null, null, false))).reason())
        .isEqualTo(DurableStream.Refusal.INVALID);
    List<byte[]> data = ((DurableStream.Chunk) read(stream, Offsets.BEGINNING)).messages().stream().map(DurableStream.Message::data).toList();
    assertThat(new String(JsonMode.array(data), StandardCharsets.UTF_8)).isEqualTo("[1,{\"a\":[2]},\"x\"]");
  }

  @Test
  void idempotentProducersAreDedupedAndFenced() {
    ActorRef<DurableStream.Command> stream = spawn("p");
    create(stream, spec("text/plain", null));
    DurableStream.Producer zero = new DurableStream.Producer("w", 0, 0);
    assertThat(append(stream, new DurableStream.AppendSpec(bytes("a"), "text/plain", null, zero, false))).isInstanceOf(DurableStream.Appended.class);
    DurableStream.Duplicate duplicate = (DurableStream.Duplicate) append(stream, new DurableStream.AppendSpec(bytes("a"), "text/plain", null, zero, false));
    assertThat(duplicate.lastSeq()).isZero();
    assertThat(journal.persistedInStorage("Stream|p")).hasSize(2);

    DurableStream.Refused gap = (DurableStream.Refused) append(stream,
        new DurableStream.AppendSpec(bytes("c"), "text/plain", null, new DurableStream.Producer("w", 0, 2), false));
    assertThat(gap.reason()).isEqualTo(DurableStream.Refusal.SEQ_GAP);
    assertThat(gap.expectedSeq()).isEqualTo(1);

    append(stream, new DurableStream.AppendSpec(bytes("b"), "text/plain", null, new DurableStream.Producer("w", 1, 0), false));
    DurableStream.Refused stale = (DurableStream.Refused) append(stream,
        new DurableStream.AppendSpec(bytes("z"), "text/plain", null, new DurableStream.Producer("w", 0, 1), false));
    assertThat(stale.reason()).isEqualTo(DurableStream.Refusal.STALE_EPOCH);
    assertThat(stale.currentEpoch()).isEqualTo(1);
    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("ab");
  }

  @Test
  void aCaughtUpLiveReaderIsWokenByTheNextAppendOrTimesOut() {
    // Live reads wait 30 s here: the append, not the timer, must answer this one however slow the machine.
    ActorRef<DurableStream.Command> stream = testKit.spawn(DurableStream.create("l", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "l-" + streams++);
    DurableStream.Created created = (DurableStream.Created) create(stream, spec("text/plain", null));
    TestProbe<DurableStream.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new DurableStream.Read(created.meta().tail(), true, waiting.getRef()));
    // The append is handled after the read (one mailbox): a read answered at once would reply an empty chunk first.
    append(stream, text("hi"));
    DurableStream.Chunk woken = (DurableStream.Chunk) waiting.receiveMessage();
    assertThat(text(woken)).isEqualTo("hi");
    assertThat(woken.upToDate()).isTrue();

    ActorRef<DurableStream.Command> quick = spawn("lt");
    create(quick, spec("text/plain", null));
    quick.tell(new DurableStream.Read(Offsets.NOW, true, waiting.getRef()));
    assertThat(waiting.receiveMessage(Duration.ofSeconds(10))).isInstanceOf(DurableStream.TimedOut.class);
  }

  @Test
  void aJournalFailureRestartsTheEntityAfterItsBackoffWithNothingLost() {
    ActorRef<DurableStream.Command> stream = testKit.spawn(DurableStream.create("jf", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "jf-" + streams++);
    create(stream, spec("text/plain", "a"));
    journal.failNextPersisted();
    TestProbe<DurableStream.AppendReply> failed = testKit.createTestProbe();
    stream.tell(new DurableStream.Append(text("lost"), failed.getRef()));
    long failedAt = System.nanoTime();
    // Stashed while the entity waits out its backoff, answered once it has recovered.
    TestProbe<DurableStream.HeadReply> head = testKit.createTestProbe();
    stream.tell(new DurableStream.Head(head.getRef()));
    assertThat(head.receiveMessage(Duration.ofSeconds(10))).isInstanceOf(DurableStream.Described.class);
    assertThat(Duration.ofNanos(System.nanoTime() - failedAt)).isGreaterThanOrEqualTo(PATIENT.journalBackoff().min());
    // Answered before anything the restart stashed: not done, to be retried.
    DurableStream.Refused refused = (DurableStream.Refused) failed.receiveMessage(Duration.ZERO);
    assertThat(refused.reason()).isEqualTo(DurableStream.Refusal.JOURNAL_UNAVAILABLE);

    assertThat(append(stream, text("b"))).isInstanceOf(DurableStream.Appended.class);
    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("ab");
  }

  @Test
  void aFirstCreateWhoseJournalWriteFailedLeavesNoStreamBehind() {
    ActorRef<DurableStream.Command> stream = testKit.spawn(DurableStream.create("jc", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "jc-" + streams++);
    journal.failNextPersisted();
    TestProbe<DurableStream.CreateReply> failed = testKit.createTestProbe();
    stream.tell(new DurableStream.Create(spec("text/plain", "a"), failed.getRef()));
    DurableStream.Refused refused = (DurableStream.Refused) failed.receiveMessage(Duration.ofSeconds(10));
    assertThat(refused.reason()).isEqualTo(DurableStream.Refusal.JOURNAL_UNAVAILABLE);
    // Recovered from the empty state, which the failed write must not have touched.
    TestProbe<DurableStream.HeadReply> head = testKit.createTestProbe();
    stream.tell(new DurableStream.Head(head.getRef()));
    assertThat(((DurableStream.Refused) head.receiveMessage()).reason()).isEqualTo(DurableStream.Refusal.NOT_FOUND);
    assertThat(((DurableStream.Refused) append(stream, text("b"))).reason()).isEqualTo(DurableStream.Refusal.NOT_FOUND);

    assertThat(create(stream, spec("text/plain", "a"))).isInstanceOf(DurableStream.Created.class);
    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("a");
  }

  @Test
  void aLiveReaderWaitingThroughAJournalFailureIsToldToPollAgain() {
    ActorRef<DurableStream.Command> stream = testKit.spawn(DurableStream.create("jr", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "jr-" + streams++);
    DurableStream.Created created = (DurableStream.Created) create(stream, spec("text/plain", "a"));
    TestProbe<DurableStream.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new DurableStream.Read(created.meta().tail(), true, waiting.getRef()));
    journal.failNextPersisted();
    append(stream, text("lost"));
    // Its 30 s timer went with the restart: answered at once after recovery, not left to the ask's timeout.
    DurableStream.TimedOut timedOut = (DurableStream.TimedOut) waiting.receiveMessage(Duration.ofSeconds(10));
    assertThat(timedOut.offset()).isEqualTo(created.meta().tail());
  }

  @Test
  void aClosedStreamRefusesAppendsAndAnswersWaitingReaders() {
    ActorRef<DurableStream.Command> stream = spawn("c");
    create(stream, spec("text/plain", "x"));
    TestProbe<DurableStream.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new DurableStream.Read(Offsets.NOW, true, waiting.getRef()));
    assertThat(append(stream, new DurableStream.AppendSpec(new byte[0], null, null, null, true))).isInstanceOf(DurableStream.Appended.class);
    assertThat(((DurableStream.Chunk) waiting.receiveMessage()).closedAtTail()).isTrue();
    DurableStream.Refused refused = (DurableStream.Refused) append(stream, text("late"));
    assertThat(refused.reason()).isEqualTo(DurableStream.Refusal.STREAM_CLOSED);
  }
}
