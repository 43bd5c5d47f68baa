package io.lakeshard.node.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamProtocol;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class SseFramingTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-10-09T00:10:00Z"), ZoneOffset.UTC);
  private static final SseFraming.Position START = new SseFraming.Position("-1", false, false, null);

  private static StreamProtocol.Meta meta(String contentType, boolean closed) {
    return new StreamProtocol.Meta(contentType, "t", closed, null, null);
  }

  private static StreamProtocol.Message message(String offset, String data) {
    return new StreamProtocol.Message(offset, data.getBytes(StandardCharsets.UTF_8));
  }

  private static String render(SseFraming framing, StreamProtocol.ReadReply reply, List<SseFraming.Position> at) {
    List<ByteString> out = new ArrayList<>();
    at.add(framing.render(reply, START, out));
    StringBuilder text = new StringBuilder();
    out.forEach(event -> text.append(event.utf8String()));
    return text.toString();
  }

  @Test
  void eachMessageIsADataEventFollowedByItsControlEventAndLinesCannotEndAnEvent() {
    SseFraming framing = new SseFraming("text/plain", CLOCK);
    List<SseFraming.Position> at = new ArrayList<>();
    String events = render(framing, new StreamProtocol.Chunk(meta("text/plain", false),
        List.of(message("o1", "a\nb"), message("o2", "c")), "o2", true, false), at);
    // The second cursor echoes the first one of this interval, so it is pushed ahead (StreamCursor).
    assertThat(events).matches("event: data\ndata:a\ndata:b\n\n"
        + "event: control\ndata:\\{\"streamNextOffset\":\"o1\",\"streamCursor\":\"30\"}\n\n"
        + "event: data\ndata:c\n\n"
        + "event: control\ndata:\\{\"streamNextOffset\":\"o2\",\"streamCursor\":\"\\d+\",\"upToDate\":true}\n\n");
    assertThat(at.get(0).offset()).isEqualTo("o2");
    assertThat(at.get(0).caughtUp()).isTrue();
    assertThat(at.get(0).done()).isFalse();
    assertThat(framing.base64()).isFalse();
  }

  @Test
  void aClosedTailEndsTheConnectionWithoutACursor() {
    SseFraming framing = new SseFraming("application/json", CLOCK);
    List<SseFraming.Position> at = new ArrayList<>();
    String events = render(framing, new StreamProtocol.Chunk(meta("application/json", true),
        List.of(message("o1", "1,2")), "o1", true, true), at);
    assertThat(events).isEqualTo("event: data\ndata:[1,2]\n\n"
        + "event: control\ndata:{\"streamNextOffset\":\"o1\",\"streamClosed\":true}\n\n");
    assertThat(at.get(0).done()).isTrue();
  }

  @Test
  void binaryStreamsAreBase64AndADeletedStreamEndsSilently() {
    SseFraming framing = new SseFraming("application/octet-stream", CLOCK);
    assertThat(framing.base64()).isTrue();
    List<SseFraming.Position> at = new ArrayList<>();
    assertThat(render(framing, new StreamProtocol.Chunk(meta("application/octet-stream", false),
        List.of(message("o1", "hi")), "o1", false, false), at)).startsWith("event: data\ndata:aGk=\n\n");
    assertThat(render(framing, new StreamProtocol.Refused(StreamProtocol.Refusal.NOT_FOUND, "gone", null, 0, 0, 0), at))
        .isEmpty();
    assertThat(at.get(1).done()).isTrue();
  }

  @Test
  void aTimedOutWaitSendsAControlEventAndKeepsWaiting() {
    SseFraming framing = new SseFraming("text/plain", CLOCK);
    List<SseFraming.Position> at = new ArrayList<>();
    String events = render(framing, new StreamProtocol.TimedOut(meta("text/plain", false), "o9"), at);
    assertThat(events).isEqualTo(
        "event: control\ndata:{\"streamNextOffset\":\"o9\",\"streamCursor\":\"30\",\"upToDate\":true}\n\n");
    assertThat(at.get(0)).isEqualTo(new SseFraming.Position("o9", true, false, "30"));
  }
}
