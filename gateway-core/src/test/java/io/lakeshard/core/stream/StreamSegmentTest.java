package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.lake.FailingLake;
import io.lakeshard.core.lake.LakeException;
import io.lakeshard.core.lake.LocalLakeAdapter;
import io.lakeshard.core.retry.Backoff;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.testkit.SnapshotMeta;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cold segments: rotation into the lake, reads across the hot/cold boundary, recovery from snapshots, failing writes. */
class StreamSegmentTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      // A one-node cluster: a fork tells its source through Cluster Sharding.
      InMemoryPersistence.config("""
          pekko.actor.provider = cluster
          pekko.remote.artery.canonical.hostname = 127.0.0.1
          pekko.remote.artery.canonical.port = 0
          """));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final SnapshotTestKit snapshots = SnapshotTestKit.create(testKit.system());
  /** Segments of about 100 bytes and read pages of about 64: a few messages each, so every read crosses something. */
  private static final int SNAPSHOT_EVERY = 10;
  private static final StreamSettings SETTINGS = StreamTestSupport.settings(
      Duration.ofMillis(300), 64, 100, SNAPSHOT_EVERY, new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), 0.2));
  private static final FailingLake LAKE = new FailingLake(new LocalLakeAdapter(tempDir()));

  private int incarnations;

  static {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    DurableStream.init(testKit.system(), SETTINGS, LAKE);
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory(Files.createDirectories(Path.of("target")), "stream-segments-").toAbsolutePath();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void clear() {
    journal.clearAll();
    snapshots.clearAll();
    LAKE.failNext(0);
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private ActorRef<StreamProtocol.Command> spawn(String id) {
    return testKit.spawn(DurableStream.create(id, SETTINGS, LAKE, StreamTestSupport.NO_OTHER_STREAMS), id + "-" + incarnations++);
  }

  private static RecipientRef<StreamProtocol.Command> sharded(String id) {
    return ClusterSharding.get(testKit.system()).entityRefFor(DurableStream.ENTITY_TYPE_KEY, id);
  }

  private static <T> T ask(RecipientRef<StreamProtocol.Command> stream, java.util.function.Function<ActorRef<T>, StreamProtocol.Command> command) {
    TestProbe<T> probe = testKit.createTestProbe();
    stream.tell(command.apply(probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  private static void create(RecipientRef<StreamProtocol.Command> stream, StreamProtocol.ForkPoint fork) {
    StreamProtocol.CreateSpec spec = new StreamProtocol.CreateSpec(fork == null ? "text/plain" : null, null, null, false, null, fork);
    assertThat(ask(stream, (ActorRef<StreamProtocol.CreateReply> replyTo) -> new StreamProtocol.Create(spec, replyTo)))
        .isInstanceOf(StreamProtocol.Created.class);
  }

  /** Appends "m{i};" padded to 20 bytes for i in [from, to); returns each message's offset. */
  private static List<String> append(RecipientRef<StreamProtocol.Command> stream, String tag, int from, int to) {
    List<String> offsets = new ArrayList<>();
    for (int i = from; i < to; i++) {
      StreamProtocol.AppendSpec spec = new StreamProtocol.AppendSpec(message(tag, i).getBytes(StandardCharsets.UTF_8), "text/plain",
          null, null, false);
      StreamProtocol.AppendReply reply = ask(stream, (ActorRef<StreamProtocol.AppendReply> replyTo) -> new StreamProtocol.Append(spec, replyTo));
      offsets.add(((StreamProtocol.Appended) reply).offset());
    }
    return offsets;
  }

  private static String message(String tag, int i) {
    return String.format("%-19s;", tag + i);
  }

  /** Reads from {@code offset} following Stream-Next-Offset until up to date; every page must make progress. */
  private static List<StreamProtocol.Message> readAll(RecipientRef<StreamProtocol.Command> stream, String offset) {
    List<StreamProtocol.Message> all = new ArrayList<>();
    String from = offset;
    for (int pages = 0; pages < 1000; pages++) {
      String at = from;
      StreamProtocol.ReadReply reply = ask(stream, (ActorRef<StreamProtocol.ReadReply> replyTo) -> new StreamProtocol.Read(at, false, replyTo));
      assertThat(reply).as("read from %s", at).isInstanceOf(StreamProtocol.Chunk.class);
      StreamProtocol.Chunk chunk = (StreamProtocol.Chunk) reply;
      all.addAll(chunk.messages());
      if (chunk.upToDate()) {
        return all;
      }
      assertThat(chunk.next()).as("progress after %s", at).isGreaterThan(at);
      from = chunk.next();
    }
    throw new AssertionError("never up to date");
  }

  private static String text(List<StreamProtocol.Message> messages) {
    StringBuilder out = new StringBuilder();
    messages.forEach(m -> out.append(new String(m.data(), StandardCharsets.UTF_8)));
    return out.toString();
  }

  private static String expected(String tag, int from, int to) {
    StringBuilder out = new StringBuilder();
    for (int i = from; i < to; i++) {
      out.append(message(tag, i));
    }
    return out.toString();
  }

  /** The index as of the latest snapshot (one is taken at every sealed segment). */
  private static List<StreamProtocol.Segment> snapshotSegments(String id) {
    Optional<Pair<SnapshotMeta, Object>> last = snapshots.persistedInStorage("Stream|" + id).stream()
        .reduce((first, second) -> second);
    return last.map(pair -> ((StreamState) pair.second()).segments()).orElse(List.of());
  }

  /** The keys of a stream's segment objects. */
  private static List<String> objects(String streamId) {
    try {
      return LAKE.list(StreamSegment.prefix(streamId));
    } catch (LakeException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void eventually(Runnable assertion) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      assertion.run();
      return null;
    });
  }

  private static void awaitSegments(String id, int atLeast) {
    eventually(() -> assertThat(snapshotSegments(id)).hasSizeGreaterThanOrEqualTo(atLeast));
  }

  private static void assertReadsFromEveryOffset(RecipientRef<StreamProtocol.Command> stream, String tag, List<String> offsets) {
    assertThat(text(readAll(stream, Offsets.BEGINNING))).isEqualTo(expected(tag, 0, offsets.size()));
    for (int i = 0; i < offsets.size(); i++) {
      List<StreamProtocol.Message> rest = readAll(stream, offsets.get(i));
      assertThat(text(rest)).as("after message %d", i).isEqualTo(expected(tag, i + 1, offsets.size()));
      assertThat(rest).extracting(StreamProtocol.Message::offset).containsExactlyElementsOf(offsets.subList(i + 1, offsets.size()));
    }
  }

  @Test
  void theHotTailRotatesIntoSegmentsAndReadsCrossTheBoundaryAtEveryOffset() throws Exception {
    ActorRef<StreamProtocol.Command> stream = spawn("rotate");
    create(stream, null);
    List<String> offsets = append(stream, "r", 0, 40);
    // 40 messages of 20 bytes: 8 segments of 5 (100 bytes) leave the hot tail empty.
    awaitSegments("rotate", 8);
    List<StreamProtocol.Segment> segments = snapshotSegments("rotate");
    assertThat(segments).extracting(StreamProtocol.Segment::count).containsOnly(5);
    assertThat(segments.get(0).first()).isEqualTo(offsets.get(0));
    assertThat(segments.get(7).last()).isEqualTo(offsets.get(39));
    assertThat(objects("rotate")).hasSize(8)
        .allSatisfy(key -> assertThat(key).matches("streams/cm90YXRl/\\d{16}\\.seg"));
    assertThat(StreamSegment.decode(LAKE.get(segments.get(0).key()))).extracting(StreamProtocol.Message::offset)
        .containsExactlyElementsOf(offsets.subList(0, 5));

    assertReadsFromEveryOffset(stream, "r", offsets);
    // Appends go on after the rotation, continuing the offsets.
    List<String> more = append(stream, "r", 40, 45);
    assertThat(more.get(0)).isGreaterThan(offsets.get(39));
    assertThat(text(readAll(stream, offsets.get(30)))).isEqualTo(expected("r", 31, 45));
  }

  @Test
  void aRestartRecoversFromTheSnapshotAndTheTrimmedJournalWithTheSameOffsets() {
    ActorRef<StreamProtocol.Command> stream = spawn("restart");
    create(stream, null);
    List<String> offsets = append(stream, "s", 0, 60);
    awaitSegments("restart", 11);
    testKit.stop(stream);

    // Over 70 events were written; a count-based snapshot every 10 deletes the events before the previous one.
    eventually(() -> assertThat(journal.persistedInStorage("Stream|restart")).hasSizeLessThanOrEqualTo(2 * SNAPSHOT_EVERY));
    ActorRef<StreamProtocol.Command> again = spawn("restart");
    assertReadsFromEveryOffset(again, "s", offsets);
    List<String> next = append(again, "s", 60, 61);
    assertThat(next.get(0)).isGreaterThan(offsets.get(59));
  }

  @Test
  void failedSegmentWritesAreRetriedWithoutLosingAnything() {
    LAKE.failNext(3);
    ActorRef<StreamProtocol.Command> stream = spawn("failing");
    create(stream, null);
    List<String> offsets = append(stream, "f", 0, 12);
    // Appends were accepted through the failures; the writes then succeed on retry.
    awaitSegments("failing", 2);
    assertThat(LAKE.failedAt()).hasSize(3);
    assertReadsFromEveryOffset(stream, "f", offsets);

    testKit.stop(stream);
    assertReadsFromEveryOffset(spawn("failing"), "f", offsets);
  }

  @Test
  void aJournalFailureDuringASegmentBackoffDoesNotStopSegmentWrites() {
    // A segment backoff no test outwaits: only the restart may start the retry.
    StreamSettings patientSegments = StreamTestSupport.settings(Duration.ofMillis(300), 64, 100, SNAPSHOT_EVERY,
        new Backoff(Duration.ofMinutes(10), Duration.ofMinutes(10), 0));
    LAKE.failNext(1);
    ActorRef<StreamProtocol.Command> stream = testKit.spawn(DurableStream.create("stalled", patientSegments, LAKE,
        StreamTestSupport.NO_OTHER_STREAMS), "stalled-" + incarnations++);
    create(stream, null);
    List<String> offsets = append(stream, "t", 0, 5);
    eventually(() -> assertThat(LAKE.failedAt()).hasSize(1));
    // The failed write's result reaches the entity right after the lake call threw; this round trip follows it.
    ask(stream, StreamProtocol.Head::new);
    journal.failNextPersisted();
    StreamProtocol.AppendSpec lost = new StreamProtocol.AppendSpec(message("t", 99).getBytes(StandardCharsets.UTF_8),
        "text/plain", null, null, false);
    assertThat(ask(stream, (ActorRef<StreamProtocol.AppendReply> replyTo) -> new StreamProtocol.Append(lost, replyTo)))
        .isInstanceOf(StreamProtocol.Refused.class);
    offsets.addAll(append(stream, "t", 5, 6));
    awaitSegments("stalled", 1);
    assertReadsFromEveryOffset(stream, "t", offsets);
  }

  @Test
  void forksReadTheirSourcesColdSegmentsAndDeletionRemovesOnlyOwnObjects() throws Exception {
    RecipientRef<StreamProtocol.Command> source = sharded("source");
    create(source, null);
    List<String> offsets = append(source, "x", 0, 20);
    awaitSegments("source", 3);

    // Inside the second segment, and with a sub-offset into a cold message.
    StreamProtocol.ForkPoint point = new StreamProtocol.ForkPoint("source", offsets.get(7), 0);
    RecipientRef<StreamProtocol.Command> fork = sharded("fork");
    create(fork, point);
    assertThat(text(readAll(fork, Offsets.BEGINNING))).isEqualTo(expected("x", 0, 8));
    List<String> own = append(fork, "y", 0, 12);
    assertThat(text(readAll(fork, offsets.get(2)))).isEqualTo(expected("x", 3, 8) + expected("y", 0, 12));
    awaitSegments("fork", 3); // two inherited, one its own
    assertThat(text(readAll(fork, Offsets.BEGINNING))).isEqualTo(expected("x", 0, 8) + expected("y", 0, 12));
    assertThat(readAll(fork, own.get(0))).hasSize(11);

    StreamProtocol.ForkPoint inside = new StreamProtocol.ForkPoint("source", offsets.get(2), 4);
    RecipientRef<StreamProtocol.Command> subFork = sharded("sub-fork");
    create(subFork, inside);
    assertThat(text(readAll(subFork, Offsets.BEGINNING))).isEqualTo(expected("x", 0, 3) + message("x", 3).substring(0, 4));

    List<String> forkObjects = objects("fork");
    assertThat(forkObjects).isNotEmpty();
    assertThat(ask(fork, StreamProtocol.Delete::new)).isInstanceOf(StreamProtocol.Deleted.class);
    eventually(() -> assertThat(objects("fork")).isEmpty());
    // The source's objects stay for the source (and its other fork).
    assertThat(text(readAll(subFork, Offsets.BEGINNING))).isEqualTo(expected("x", 0, 3) + message("x", 3).substring(0, 4));
    assertThat(text(readAll(source, Offsets.BEGINNING))).isEqualTo(expected("x", 0, 20));
  }

  @Test
  void aStreamCreatedAgainAfterDeletionNeverReusesASegmentKey() throws Exception {
    ActorRef<StreamProtocol.Command> stream = spawn("again");
    create(stream, null);
    append(stream, "a", 0, 10);
    awaitSegments("again", 1);
    List<String> before = objects("again");
    assertThat(ask(stream, StreamProtocol.Delete::new)).isInstanceOf(StreamProtocol.Deleted.class);
    eventually(() -> assertThat(objects("again")).isEmpty());

    create(stream, null);
    List<String> offsets = append(stream, "b", 0, 10);
    eventually(() -> assertThat(objects("again")).isNotEmpty());
    assertThat(objects("again")).doesNotContainAnyElementsOf(before);
    assertReadsFromEveryOffset(stream, "b", offsets);
  }
}
