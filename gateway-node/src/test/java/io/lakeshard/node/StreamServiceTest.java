package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamProtocol;
import io.lakeshard.core.stream.StreamSettings;
import io.lakeshard.node.metrics.NodeMetrics;
import io.lakeshard.node.stream.StreamAuth;
import io.lakeshard.node.stream.StreamOutcome;
import io.lakeshard.node.stream.StreamService;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stream rules without HTTP: the service of a real node, called as any transport would. */
class StreamServiceTest extends NodeTestBase {
  private static final String WRITE_TOKEN = "stream-write-token";
  private static final StreamService.Caller WRITER = new StreamService.Caller(Optional.of(WRITE_TOKEN));
  private static final StreamService.Caller ANONYMOUS = new StreamService.Caller(Optional.empty());
  private StreamService service;

  @BeforeEach
  void service() {
    StreamAuth auth = StreamAuth.from(new NodeSettings.StreamRouteSettings(WRITE_TOKEN, false), Optional.empty());
    service = new StreamService(node.system(), StreamSettings.fromConfig(node.system().settings().config()), auth,
        Duration.ofSeconds(10), NodeMetrics.get(node.system()).streams());
  }

  private static byte[] bytes(String text) {
    return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
  }

  private static StreamService.Create create(String contentType, String body) {
    return new StreamService.Create(contentType, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), false, bytes(body));
  }

  private static StreamService.Append append(String body, Optional<String> id, Optional<String> epoch,
                                             Optional<String> seq) {
    return new StreamService.Append("text/plain", Optional.empty(), id, epoch, seq, false, bytes(body));
  }

  private static StreamService.Read read(String id, List<String> offsets, String live) {
    return new StreamService.Read(id, offsets, Optional.ofNullable(live), null);
  }

  private static StreamOutcome join(java.util.concurrent.CompletionStage<StreamOutcome> outcome) {
    return outcome.toCompletableFuture().join();
  }

  private static String rejected(StreamOutcome outcome) {
    assertThat(outcome).isInstanceOf(StreamOutcome.Rejected.class);
    StreamOutcome.Rejected rejected = (StreamOutcome.Rejected) outcome;
    return rejected.reason() + " " + rejected.code();
  }

  @Test
  void idsCredentialsAndSizesAreRefusedBeforeTheEntityIsAsked() {
    assertThat(rejected(join(service.create(WRITER, "bad/id", create("text/plain", null)))))
        .isEqualTo("BAD_REQUEST INVALID_STREAM_ID");
    assertThat(rejected(join(service.create(ANONYMOUS, "s", create("text/plain", null)))))
        .isEqualTo("UNAUTHORIZED UNAUTHORIZED");
    assertThat(rejected(join(service.delete(new StreamService.Caller(Optional.of("wrong")), "s"))))
        .isEqualTo("UNAUTHORIZED UNAUTHORIZED");
    byte[] huge = new byte[(int) service.maxBodyBytes() + 1];
    assertThat(rejected(join(service.append(WRITER, "s", new StreamService.Append("text/plain", Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), false, huge))))).isEqualTo("TOO_LARGE PAYLOAD_TOO_LARGE");
  }

  @Test
  void theProtocolsHeaderFormatsAreCheckedOnce() {
    StreamService.Create both = new StreamService.Create("text/plain", Optional.of("10"),
        Optional.of("2030-01-01T00:00:00Z"), Optional.empty(), Optional.empty(), Optional.empty(), false, bytes(null));
    assertThat(rejected(join(service.create(WRITER, "h", both)))).isEqualTo("BAD_REQUEST INVALID_TTL");
    StreamService.Create leadingZero = new StreamService.Create("text/plain", Optional.of("010"), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), false, bytes(null));
    assertThat(rejected(join(service.create(WRITER, "h", leadingZero)))).isEqualTo("BAD_REQUEST INVALID_TTL");
    StreamService.Create subWithoutFork = new StreamService.Create("text/plain", Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.of("1"), false, bytes(null));
    assertThat(rejected(join(service.create(WRITER, "h", subWithoutFork)))).isEqualTo("BAD_REQUEST INVALID_FORK");
    // Numbers that would not fit: an int sub-offset, a TTL in milliseconds.
    StreamService.Create hugeSubOffset = new StreamService.Create("text/plain", Optional.empty(), Optional.empty(),
        Optional.of("/v1/stream/src"), Optional.empty(), Optional.of("9999999999"), false, bytes(null));
    assertThat(rejected(join(service.create(WRITER, "h", hugeSubOffset)))).isEqualTo("BAD_REQUEST INVALID_FORK");
    StreamService.Create hugeTtl = new StreamService.Create("text/plain", Optional.of("999999999999999999"),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false, bytes(null));
    assertThat(rejected(join(service.create(WRITER, "h", hugeTtl)))).isEqualTo("BAD_REQUEST INVALID_TTL");

    assertThat(rejected(join(service.append(WRITER, "h", append("x", Optional.of("p"), Optional.of("0"), Optional.empty())))))
        .isEqualTo("BAD_REQUEST INVALID_PRODUCER");
    assertThat(rejected(join(service.append(WRITER, "h", append("x", Optional.of("p"), Optional.of("-1"), Optional.of("0"))))))
        .isEqualTo("BAD_REQUEST INVALID_PRODUCER");
    assertThat(rejected(join(service.append(WRITER, "h", append(null, Optional.empty(), Optional.empty(), Optional.empty())))))
        .isEqualTo("BAD_REQUEST EMPTY_BODY");

    assertThat(rejected(join(service.read(ANONYMOUS, read("h", List.of("-1", "-1"), null)))))
        .isEqualTo("BAD_REQUEST INVALID_OFFSET");
    assertThat(rejected(join(service.read(ANONYMOUS, read("h", List.of("12"), null)))))
        .isEqualTo("BAD_REQUEST INVALID_OFFSET");
    assertThat(rejected(join(service.read(ANONYMOUS, read("h", List.of(), "long-poll")))))
        .isEqualTo("BAD_REQUEST OFFSET_REQUIRED");
  }

  @Test
  void theEntitysAnswersComeBackAsOutcomes() {
    StreamOutcome.Created created = (StreamOutcome.Created) join(service.create(WRITER, "e", create("text/plain", "a")));
    assertThat(created.isNew()).isTrue();
    StreamOutcome.Appended appended = (StreamOutcome.Appended) join(service.append(WRITER, "e",
        append("b", Optional.of("p"), Optional.of("0"), Optional.of("0"))));
    assertThat(appended.producer().id()).isEqualTo("p");
    assertThat(join(service.append(WRITER, "e", append("b", Optional.of("p"), Optional.of("0"), Optional.of("0")))))
        .isInstanceOf(StreamOutcome.Duplicate.class);

    StreamOutcome.Page page = (StreamOutcome.Page) join(service.read(ANONYMOUS, read("e", List.of("-1"), null)));
    assertThat(page.chunk().messages()).hasSize(2);
    assertThat(page.chunk().next()).isEqualTo(appended.offset());
    assertThat(join(service.read(ANONYMOUS, read("e", List.of("-1"), "sse")))).isInstanceOf(StreamOutcome.Subscribed.class);

    StreamService.Create fork = new StreamService.Create(null, Optional.empty(), Optional.empty(),
        Optional.of("/v1/stream/missing"), Optional.empty(), Optional.empty(), false, bytes(null));
    StreamOutcome.Refused noSource = (StreamOutcome.Refused) join(service.create(WRITER, "f", fork));
    assertThat(noSource.refused().reason()).isEqualTo(StreamProtocol.Refusal.SOURCE_NOT_FOUND);
    assertThat(join(service.delete(WRITER, "e"))).isInstanceOf(StreamOutcome.Deleted.class);
    assertThat(((StreamOutcome.Refused) join(service.head(ANONYMOUS, "e"))).refused().reason())
        .isEqualTo(StreamProtocol.Refusal.NOT_FOUND);
  }
}
