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

/** The Stream entity with an in-memory journal: sequencing, JSON mode, producers, live readers, recovery. */
class StreamTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  /** Never written to: these streams stay far below a segment. */
  private static final LocalLakeAdapter LAKE = new LocalLakeAdapter(Path.of("target", "stream-test-lake"));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final StreamSettings SETTINGS = new StreamSettings(
      Duration.ofMillis(300), 2 * 1024 * 1024, 1024 * 1024, Duration.ofDays(7), 4 * 1024 * 1024, 1000,
      new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));

  private int streams;

  @BeforeEach
  void clearJournal() {
    journal.clearAll();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private ActorRef<Stream.Command> spawn(String id) {
    return testKit.spawn(Stream.create(id, SETTINGS, LAKE), id + "-" + streams++);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static Stream.CreateSpec spec(String contentType, String body) {
    return new Stream.CreateSpec(contentType, null, null, false, body == null ? null : bytes(body), null);
  }

  private Stream.CreateReply create(ActorRef<Stream.Command> stream, Stream.CreateSpec spec) {
    TestProbe<Stream.CreateReply> probe = testKit.createTestProbe();
    stream.tell(new Stream.Create(spec, null, probe.getRef()));
    return probe.receiveMessage();
  }

  private Stream.AppendReply append(ActorRef<Stream.Command> stream, Stream.AppendSpec spec) {
    TestProbe<Stream.AppendReply> probe = testKit.createTestProbe();
    stream.tell(new Stream.Append(spec, probe.getRef()));
    return probe.receiveMessage();
  }

  private static Stream.AppendSpec text(String data) {
    return new Stream.AppendSpec(bytes(data), "text/plain", null, null, false);
  }

  private Stream.ReadReply read(ActorRef<Stream.Command> stream, String offset) {
    TestProbe<Stream.ReadReply> probe = testKit.createTestProbe();
    stream.tell(new Stream.Read(offset, false, probe.getRef()));
    return probe.receiveMessage();
  }

  private static String text(Stream.ReadReply reply) {
    StringBuilder out = new StringBuilder();
    ((Stream.Chunk) reply).messages().forEach(m -> out.append(new String(m.data(), StandardCharsets.UTF_8)));
    return out.toString();
  }

  @Test
  void appendsAreJournaledBeforeTheyAreAcknowledgedAndOffsetsSortInAppendOrder() {
    ActorRef<Stream.Command> stream = spawn("s");
    assertThat(create(stream, spec("text/plain", "a"))).isInstanceOf(Stream.Created.class);
    Stream.Appended first = (Stream.Appended) append(stream, text("b"));
    assertThat(journal.persistedInStorage("Stream|s")).hasSize(2);
    Stream.Appended second = (Stream.Appended) append(stream, text("c"));
    assertThat(second.offset()).isGreaterThan(first.offset());

    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("abc");
    assertThat(text(read(stream, first.offset()))).isEqualTo("c");
    Stream.Chunk atTail = (Stream.Chunk) read(stream, second.offset());
    assertThat(atTail.messages()).isEmpty();
    assertThat(atTail.upToDate()).isTrue();
    assertThat(atTail.next()).isEqualTo(second.offset());
  }

  @Test
  void recoveryRestoresEveryAcknowledgedAppendAtItsOffset() {
    ActorRef<Stream.Command> stream = spawn("r");
    create(stream, spec("text/plain", null));
    Stream.Appended one = (Stream.Appended) append(stream, text("one"));
    append(stream, text("two"));
    testKit.stop(stream);

    ActorRef<Stream.Command> again = spawn("r");
    assertThat(text(read(again, one.offset()))).isEqualTo("two");
    assertThat(text(read(again, Offsets.BEGINNING))).isEqualTo("onetwo");
  }

  @Test
  void contentTypesAreCheckedAndAMissingOneIsToldApartFromAMismatch() {
    ActorRef<Stream.Command> stream = spawn("ct");
    create(stream, spec("text/plain", null));
    assertThat(((Stream.Refused) append(stream, new Stream.AppendSpec(bytes("x"), "application/json", null, null, false))).reason())
        .isEqualTo(Stream.Refusal.CONTENT_TYPE_MISMATCH);
    assertThat(((Stream.Refused) append(stream, new Stream.AppendSpec(bytes("x"), null, null, null, false))).reason())
        .isEqualTo(Stream.Refusal.CONTENT_TYPE_MISSING);
    assertThat(create(stream, spec("application/json", null))).isInstanceOf(Stream.Refused.class);
    assertThat(((Stream.Created) create(stream, spec("text/plain", null))).isNew()).isFalse();
  }

  @Test
  void jsonStreamsFlattenArraysAndRefuseInvalidJson() {
    ActorRef<Stream.Command> stream = spawn("j");
    create(stream, spec("application/json", "[]"));
    append(stream, new Stream.AppendSpec(bytes("[1, {\"a\": [2]}]"), "application/json", null, null, false));
    append(stream, new Stream.AppendSpec(bytes("\"x\""), "application/json", null, null, false));
    assertThat(((Stream.Refused) append(stream, new Stream.AppendSpec(bytes("{oops"), "application/json", null, null, false))).reason())
        .isEqualTo(Stream.Refusal.INVALID);
    assertThat(((Stream.Refused) append(stream, new Stream.AppendSpec(bytes("[]"), "application/json", null, null, false))).reason())
        .isEqualTo(Stream.Refusal.INVALID);
    List<byte[]> data = ((Stream.Chunk) read(stream, Offsets.BEGINNING)).messages().stream().map(Stream.Message::data).toList();
    assertThat(new String(JsonMode.array(data), StandardCharsets.UTF_8)).isEqualTo("[1,{\"a\":[2]},\"x\"]");
  }

  @Test
  void idempotentProducersAreDedupedAndFenced() {
    ActorRef<Stream.Command> stream = spawn("p");
    create(stream, spec("text/plain", null));
    Stream.Producer zero = new Stream.Producer("w", 0, 0);
    assertThat(append(stream, new Stream.AppendSpec(bytes("a"), "text/plain", null, zero, false))).isInstanceOf(Stream.Appended.class);
    Stream.Duplicate duplicate = (Stream.Duplicate) append(stream, new Stream.AppendSpec(bytes("a"), "text/plain", null, zero, false));
    assertThat(duplicate.lastSeq()).isZero();
    assertThat(journal.persistedInStorage("Stream|p")).hasSize(2);

    Stream.Refused gap = (Stream.Refused) append(stream,
        new Stream.AppendSpec(bytes("c"), "text/plain", null, new Stream.Producer("w", 0, 2), false));
    assertThat(gap.reason()).isEqualTo(Stream.Refusal.SEQ_GAP);
    assertThat(gap.expectedSeq()).isEqualTo(1);

    append(stream, new Stream.AppendSpec(bytes("b"), "text/plain", null, new Stream.Producer("w", 1, 0), false));
    Stream.Refused stale = (Stream.Refused) append(stream,
        new Stream.AppendSpec(bytes("z"), "text/plain", null, new Stream.Producer("w", 0, 1), false));
    assertThat(stale.reason()).isEqualTo(Stream.Refusal.STALE_EPOCH);
    assertThat(stale.currentEpoch()).isEqualTo(1);
    assertThat(text(read(stream, Offsets.BEGINNING))).isEqualTo("ab");
  }

  @Test
  void aCaughtUpLiveReaderIsWokenByTheNextAppendOrTimesOut() {
    ActorRef<Stream.Command> stream = spawn("l");
    Stream.Created created = (Stream.Created) create(stream, spec("text/plain", null));
    TestProbe<Stream.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new Stream.Read(created.meta().tail(), true, waiting.getRef()));
    waiting.expectNoMessage(Duration.ofMillis(100));
    append(stream, text("hi"));
    assertThat(text(waiting.receiveMessage())).isEqualTo("hi");

    stream.tell(new Stream.Read(Offsets.NOW, true, waiting.getRef()));
    assertThat(waiting.receiveMessage(Duration.ofSeconds(2))).isInstanceOf(Stream.TimedOut.class);
  }

  @Test
  void aClosedStreamRefusesAppendsAndAnswersWaitingReaders() {
    ActorRef<Stream.Command> stream = spawn("c");
    create(stream, spec("text/plain", "x"));
    TestProbe<Stream.ReadReply> waiting = testKit.createTestProbe();
    stream.tell(new Stream.Read(Offsets.NOW, true, waiting.getRef()));
    assertThat(append(stream, new Stream.AppendSpec(new byte[0], null, null, null, true))).isInstanceOf(Stream.Appended.class);
    assertThat(((Stream.Chunk) waiting.receiveMessage()).closedAtTail()).isTrue();
    Stream.Refused refused = (Stream.Refused) append(stream, text("late"));
    assertThat(refused.reason()).isEqualTo(Stream.Refusal.STREAM_CLOSED);
  }
}
