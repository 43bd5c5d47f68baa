package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.lake.LocalLakeAdapter;
import io.lakeshard.core.retry.Backoff;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Streams bring their creations and deletions to the sharded {@code __registry__}, through failures and restarts. */
class RegistryOutboxTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      """));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final LocalLakeAdapter LAKE = new LocalLakeAdapter(Path.of("target", "registry-test-lake"));
  /** A registry that does not answer is given up on after 1 s and asked again 50 ms to 500 ms later. */
  private static final StreamSettings SETTINGS = withRegistry(StreamTestSupport.settings(Duration.ofSeconds(30),
      1024 * 1024, 4 * 1024 * 1024, 1000, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2)));
  private static final DurableStream.StreamDirectory SHARDED =
      id -> ClusterSharding.get(testKit.system()).entityRefFor(DurableStream.ENTITY_TYPE_KEY, id);
  private static final AtomicInteger incarnations = new AtomicInteger();

  static {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    DurableStream.init(testKit.system(), SETTINGS, LAKE);
  }

  private static StreamSettings withRegistry(StreamSettings s) {
    return new StreamSettings(s.longPollTimeout(), s.maxBodyBytes(), s.readMaxBytes(), s.producerStateTtl(),
        s.segmentBytes(), s.snapshotEveryEvents(), s.segmentBackoff(), Duration.ofSeconds(1), true,
        s.registryBackoff(), s.journalBackoff(), s.appendBatch());
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static <T> T ask(RecipientRef<StreamProtocol.Command> stream,
                           java.util.function.Function<ActorRef<T>, StreamProtocol.Command> command) {
    TestProbe<T> probe = testKit.createTestProbe();
    stream.tell(command.apply(probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  private static StreamProtocol.CreateReply create(RecipientRef<StreamProtocol.Command> stream) {
    StreamProtocol.CreateSpec spec = new StreamProtocol.CreateSpec("text/plain", null, null, false, null, null);
    return ask(stream, (ActorRef<StreamProtocol.CreateReply> replyTo) -> new StreamProtocol.Create(spec, replyTo));
  }

  /** The registry's events about {@code id}, as "insert" / "delete". */
  private static List<String> registryOf(String id) throws Exception {
    StreamProtocol.ReadReply reply = ask(SHARDED.stream(DurableStream.REGISTRY_ID),
        (ActorRef<StreamProtocol.ReadReply> replyTo) -> new StreamProtocol.Read(Offsets.BEGINNING, false, replyTo));
    List<String> operations = new ArrayList<>();
    if (reply instanceof StreamProtocol.Chunk chunk) {
      List<byte[]> data = chunk.messages().stream().map(StreamProtocol.Message::data).toList();
      for (JsonNode event : JSON.readTree(JsonMode.array(data))) {
        if (event.get("key").asText().equals(id)) {
          operations.add(event.get("headers").get("operation").asText());
        }
      }
    }
    return operations;
  }

  private static void eventually(ThrowingRunnable assertion) {
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      try {
        assertion.run();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return null;
    });
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void anEventIsAChangeInTheReferenceServersShape() throws Exception {
    JsonNode insert = JSON.readTree(RegistryOutbox.event("s", new StreamEvent.RegistryChange(true, "text/plain", 5)));
    assertThat(insert.toString()).isEqualTo(
        "{\"type\":\"stream\",\"key\":\"s\",\"value\":{\"path\":\"s\",\"contentType\":\"text/plain\",\"createdAt\":5},"
            + "\"headers\":{\"operation\":\"insert\"}}");
    String delete = new String(RegistryOutbox.event("s", new StreamEvent.RegistryChange(false, null, 6)),
        StandardCharsets.UTF_8);
    assertThat(delete).isEqualTo("{\"type\":\"stream\",\"key\":\"s\",\"headers\":{\"operation\":\"delete\"}}");
  }

  @Test
  void creationsAndDeletionsReachTheRegistryInOrderAndAreMarkedRecorded() throws Exception {
    RecipientRef<StreamProtocol.Command> stream = SHARDED.stream("ordered");
    assertThat(create(stream)).isInstanceOf(StreamProtocol.Created.class);
    assertThat(ask(stream, StreamProtocol.Delete::new)).isInstanceOf(StreamProtocol.Deleted.class);
    eventually(() -> assertThat(registryOf("ordered")).containsExactly("insert", "delete"));
    eventually(() -> assertThat(journal.persistedInStorage("Stream|ordered"))
        .filteredOn(event -> event instanceof StreamEvent.RegistryRecorded).hasSize(2));
  }

  @Test
  void aChangeTheRegistryDidNotTakeIsSentAgainByTheStreamsNextIncarnation() throws Exception {
    // The registry exists, and its next write fails: the stream's first attempt gets no answer.
    create(SHARDED.stream(DurableStream.REGISTRY_ID));
    journal.failNextPersisted("Stream|" + DurableStream.REGISTRY_ID);
    ActorRef<StreamProtocol.Command> first =
        testKit.spawn(DurableStream.create("restarted", SETTINGS, LAKE, SHARDED), "restarted-" + incarnations.incrementAndGet());
    assertThat(create(first)).isInstanceOf(StreamProtocol.Created.class);
    testKit.stop(first);
    assertThat(registryOf("restarted")).isEmpty();

    ActorRef<StreamProtocol.Command> again =
        testKit.spawn(DurableStream.create("restarted", SETTINGS, LAKE, SHARDED), "restarted-" + incarnations.incrementAndGet());
    eventually(() -> assertThat(registryOf("restarted")).containsExactly("insert"));
    testKit.stop(again);
  }
}
