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

  private ActorRef<StreamProtocol.Command> spawn(String id) {
    return testKit.spawn(DurableStream.create(id, SETTINGS, LAKE, StreamTestSupport.NO_OTHER_STREAMS), id + "-" + streams++);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static StreamProtocol.CreateSpec spec(String contentType, String body) {
    return new StreamProtocol.CreateSpec(contentType, null, null, false, body == null ? null : bytes(body), null);
  }

  private StreamProtocol.CreateReply create(ActorRef<StreamProtocol.Command> stream, StreamProtocol.CreateSpec spec) {
    TestProbe<StreamProtocol.CreateReply> probe = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Create(spec, probe.getRef()));
    return probe.receiveMessage();
  }

  private StreamProtocol.AppendReply append(ActorRef<StreamProtocol.Command> stream, StreamProtocol.AppendSpec spec) {
    TestProbe<StreamProtocol.AppendReply> probe = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Append(spec, probe.getRef()));
    return probe.receiveMessage();
  }

  private static StreamProtocol.AppendSpec text(String data) {
    return new StreamProtocol.AppendSpec(bytes(data), "text/plain", null, null, false);
  }

  private StreamProtocol.ReadReply read(ActorRef<StreamProtocol.Command> stream, String offset) {
    TestProbe<StreamProtocol.ReadReply> probe = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Read(offset, false, probe.getRef()));
    return probe.receiveMessage();
  }

  private static String text(StreamProtocol.ReadReply reply) {
    StringBuilder out = new StringBuilder();
    ((StreamProtocol.Chunk) reply).messages().forEach(m -> out.append(new String(m.data(), StandardCharsets.UTF_8)));
    return out.toString();
  }

  @Test
  void appendsAreJournaledBeforeTheyAreAcknowledgedAndOffsetsSortInAppendOrder() {
    ActorRef<StreamProtocol.Command> stream = spawn("s");
    assertThat(create(stream, spec("text/plain", "a"))).isInstanceOf(StreamProtocol.Created.class);
    StreamProtocol.Appended first = (StreamProtocol.Appended) append(stream, text("b"));
    assertThat(journal.persistedInStorage("Stream|s")).hasSize(2);
    StreamProtocol.Appended second = (StreamProtocol.Appended) append(stream, text("c"));
    assertThat(second.offset()).isGreaterThan(first.offset());

    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("abc");
    assertThat(text(read(stream, first.offset()))).isEqualTo("c");
    StreamProtocol.Chunk atTail = (StreamProtocol.Chunk) read(stream, second.offset());
    assertThat(atTail.messages()).isEmpty();
    assertThat(atTail.upToDate()).isTrue();
    assertThat(atTail.next()).isEqualTo(second.offset());
  }

  @Test
  void recoveryRestoresEveryAcknowledgedAppendAtItsOffset() {
    ActorRef<StreamProtocol.Command> stream = spawn("r");
    create(stream, spec("text/plain", null));
    StreamProtocol.Appended one = (StreamProtocol.Appended) append(stream, text("one"));
    append(stream, text("two"));
    testKit.stop(stream);

    ActorRef<StreamProtocol.Command> again = spawn("r");
    assertThat(text(read(again, one.offset()))).isEqualTo("two");
    assertThat(text(read(again, Offsets.BEGINNING))).isEqualTo("onetwo");
  }

  @Test
  void contentTypesAreCheckedAndAMissingOneIsToldApartFromAMismatch() {
    ActorRef<StreamProtocol.Command> stream = spawn("ct");
    create(stream, spec("text/plain", null));
    assertThat(((StreamProtocol.Refused) append(stream, new StreamProtocol.AppendSpec(bytes("x"), "application/json", null, null, false))).reason())
        .isEqualTo(StreamProtocol.Refusal.CONTENT_TYPE_MISMATCH);
    assertThat(((StreamProtocol.Refused) append(stream, new StreamProtocol.AppendSpec(bytes("x"), null, null, null, false))).reason())
        .isEqualTo(StreamProtocol.Refusal.CONTENT_TYPE_MISSING);
    assertThat(create(stream, spec("application/json", null))).isInstanceOf(StreamProtocol.Refused.class);
    assertThat(((StreamProtocol.Created) create(stream, spec("text/plain", null))).isNew()).isFalse();
  }

  @Test
  void jsonStreamsFlattenArraysAndRefuseInvalidJson() {
    ActorRef<StreamProtocol.Command> stream = spawn("j");
    create(stream, spec("application/json", "[]"));
    append(stream, new StreamProtocol.AppendSpec(bytes("[1, {\"a\": [2]}]"), "application/json", null, null, false));
    append(stream, new StreamProtocol.AppendSpec(bytes("\"x\""), "application/json", null, null, false));
    assertThat(((StreamProtocol.Refused) append(stream, new StreamProtocol.AppendSpec(bytes("{oops"), "application/json", null, null, false))).reason())
        .isEqualTo(StreamProtocol.Refusal.INVALID);
    assertThat(((StreamProtocol.Refused) append(stream, new StreamProtocol.AppendSpec(bytes("[]"), "application/json", null, null, false))).reason())
        .isEqualTo(StreamProtocol.Refusal.INVALID);
    List<byte[]> data = ((StreamProtocol.Chunk) read(stream, Offsets.BEGINNING)).messages().stream().map(StreamProtocol.Message::data).toList();
    assertThat(new String(JsonMode.array(data), StandardCharsets.UTF_8)).isEqualTo("[1,{\"a\":[2]},\"x\"]");
  }

  @Test
  void idempotentProducersAreDedupedAndFenced() {
    ActorRef<StreamProtocol.Command> stream = spawn("p");
    create(stream, spec("text/plain", null));
    StreamProtocol.Producer zero = new StreamProtocol.Producer("w", 0, 0);
    assertThat(append(stream, new StreamProtocol.AppendSpec(bytes("a"), "text/plain", null, zero, false))).isInstanceOf(StreamProtocol.Appended.class);
    StreamProtocol.Duplicate duplicate = (StreamProtocol.Duplicate) append(stream, new StreamProtocol.AppendSpec(bytes("a"), "text/plain", null, zero, false));
    assertThat(duplicate.lastSeq()).isZero();
    assertThat(journal.persistedInStorage("Stream|p")).hasSize(2);

    StreamProtocol.Refused gap = (StreamProtocol.Refused) append(stream,
        new StreamProtocol.AppendSpec(bytes("c"), "text/plain", null, new StreamProtocol.Producer("w", 0, 2), false));
    assertThat(gap.reason()).isEqualTo(StreamProtocol.Refusal.SEQ_GAP);
    assertThat(gap.expectedSeq()).isEqualTo(1);

    append(stream, new StreamProtocol.AppendSpec(bytes("b"), "text/plain", null, new StreamProtocol.Producer("w", 1, 0), false));
    StreamProtocol.Refused stale = (StreamProtocol.Refused) append(stream,
        new StreamProtocol.AppendSpec(bytes("z"), "text/plain", null, new StreamProtocol.Producer("w", 0, 1), false));
    assertThat(stale.reason()).isEqualTo(StreamProtocol.Refusal.STALE_EPOCH);
    assertThat(stale.currentEpoch()).isEqualTo(1);
    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("ab");
  }

  @Test
  void aCaughtUpLiveReaderIsWokenByTheNextAppendOrTimesOut() {
    // Live reads wait 30 s here: the append, not the timer, must answer this one however slow the machine.
    ActorRef<StreamProtocol.Command> stream = testKit.spawn(DurableStream.create("l", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "l-" + streams++);
    StreamProtocol.Created created = (StreamProtocol.Created) create(stream, spec("text/plain", null));
    TestProbe<StreamProtocol.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Read(created.meta().tail(), true, waiting.getRef()));
    // The append is handled after the read (one mailbox): a read answered at once would reply an empty chunk first.
    append(stream, text("hi"));
    StreamProtocol.Chunk woken = (StreamProtocol.Chunk) waiting.receiveMessage();
    assertThat(text(woken)).isEqualTo("hi");
    assertThat(woken.upToDate()).isTrue();

    ActorRef<StreamProtocol.Command> quick = spawn("lt");
    create(quick, spec("text/plain", null));
    quick.tell(new StreamProtocol.Read(Offsets.NOW, true, waiting.getRef()));
    assertThat(waiting.receiveMessage(Duration.ofSeconds(10))).isInstanceOf(StreamProtocol.TimedOut.class);
  }

  @Test
  void aJournalFailureRestartsTheEntityAfterItsBackoffWithNothingLost() {
    ActorRef<StreamProtocol.Command> stream = testKit.spawn(DurableStream.create("jf", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "jf-" + streams++);
    create(stream, spec("text/plain", "a"));
    journal.failNextPersisted();
    TestProbe<StreamProtocol.AppendReply> failed = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Append(text("lost"), failed.getRef()));
    long failedAt = System.nanoTime();
    // Stashed while the entity waits out its backoff, answered once it has recovered.
    TestProbe<StreamProtocol.HeadReply> head = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Head(head.getRef()));
    assertThat(head.receiveMessage(Duration.ofSeconds(10))).isInstanceOf(StreamProtocol.Described.class);
    assertThat(Duration.ofNanos(System.nanoTime() - failedAt)).isGreaterThanOrEqualTo(PATIENT.journalBackoff().min());
    // Answered before anything the restart stashed: not done, to be retried.
    StreamProtocol.Refused refused = (StreamProtocol.Refused) failed.receiveMessage(Duration.ZERO);
    assertThat(refused.reason()).isEqualTo(StreamProtocol.Refusal.JOURNAL_UNAVAILABLE);

    assertThat(append(stream, text("b"))).isInstanceOf(StreamProtocol.Appended.class);
    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("ab");
  }

  @Test
  void aFirstCreateWhoseJournalWriteFailedLeavesNoStreamBehind() {
    ActorRef<StreamProtocol.Command> stream = testKit.spawn(DurableStream.create("jc", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "jc-" + streams++);
    journal.failNextPersisted();
    TestProbe<StreamProtocol.CreateReply> failed = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Create(spec("text/plain", "a"), failed.getRef()));
    StreamProtocol.Refused refused = (StreamProtocol.Refused) failed.receiveMessage(Duration.ofSeconds(10));
    assertThat(refused.reason()).isEqualTo(StreamProtocol.Refusal.JOURNAL_UNAVAILABLE);
    // Recovered from the empty state, which the failed write must not have touched.
    TestProbe<StreamProtocol.HeadReply> head = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Head(head.getRef()));
    assertThat(((StreamProtocol.Refused) head.receiveMessage()).reason()).isEqualTo(StreamProtocol.Refusal.NOT_FOUND);
    assertThat(((StreamProtocol.Refused) append(stream, text("b"))).reason()).isEqualTo(StreamProtocol.Refusal.NOT_FOUND);

    assertThat(create(stream, spec("text/plain", "a"))).isInstanceOf(StreamProtocol.Created.class);
    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("a");
  }

  @Test
  void aLiveReaderWaitingThroughAJournalFailureIsToldToPollAgain() {
    ActorRef<StreamProtocol.Command> stream = testKit.spawn(DurableStream.create("jr", PATIENT, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "jr-" + streams++);
    StreamProtocol.Created created = (StreamProtocol.Created) create(stream, spec("text/plain", "a"));
    TestProbe<StreamProtocol.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Read(created.meta().tail(), true, waiting.getRef()));
    journal.failNextPersisted();
    append(stream, text("lost"));
    // Its 30 s timer went with the restart: answered at once after recovery, not left to the ask's timeout.
    StreamProtocol.TimedOut timedOut = (StreamProtocol.TimedOut) waiting.receiveMessage(Duration.ofSeconds(10));
    assertThat(timedOut.offset()).isEqualTo(created.meta().tail());
  }

  @Test
  void aClosedStreamRefusesAppendsAndAnswersWaitingReaders() {
    ActorRef<StreamProtocol.Command> stream = spawn("c");
    create(stream, spec("text/plain", "x"));
    TestProbe<StreamProtocol.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new StreamProtocol.Read(Offsets.NOW, true, waiting.getRef()));
    assertThat(append(stream, new StreamProtocol.AppendSpec(new byte[0], null, null, null, true))).isInstanceOf(StreamProtocol.Appended.class);
    assertThat(((StreamProtocol.Chunk) waiting.receiveMessage()).closedAtTail()).isTrue();
    StreamProtocol.Refused refused = (StreamProtocol.Refused) append(stream, text("late"));
    assertThat(refused.reason()).isEqualTo(StreamProtocol.Refusal.STREAM_CLOSED);
  }
}
