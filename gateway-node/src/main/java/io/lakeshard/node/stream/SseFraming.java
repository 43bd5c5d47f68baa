package io.lakeshard.node.stream;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.stream.JsonMode;
import io.lakeshard.core.stream.StreamCursor;
import io.lakeshard.core.stream.StreamProtocol;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * The protocol's SSE framing for one connection: every data event is followed by a control event
 * with the offset after it (and the cursor, or the close). Text and JSON streams send their data as
 * is, others base64-encoded ({@link #base64()}, announced in a header).
 */
final class SseFraming {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where a connection stands: delivered up to {@code offset}, caught up or not, ended or not. */
  record Position(String offset, boolean caughtUp, boolean done, String cursor) {}

  /** A control event's data; a closing one has no cursor. */
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  record Control(String streamNextOffset, String streamCursor, boolean upToDate, boolean streamClosed) {}

  private final boolean json;
  private final boolean base64;
  private final Clock clock;

  SseFraming(String contentType, Clock clock) {
    this.json = JsonMode.isJson(contentType);
    this.base64 = !(contentType.startsWith("text/") || json);
    this.clock = clock;
  }

  boolean base64() {
    return base64;
  }

  /** The events for an entity's answer at {@code position}, added to {@code out}; returns where the connection is then. */
  Position render(StreamProtocol.ReadReply reply, Position position, List<ByteString> out) {
    if (reply instanceof StreamProtocol.Refused) {
      // Deleted while connected: end the stream.
      return new Position(position.offset(), false, true, position.cursor());
    }
    if (reply instanceof StreamProtocol.TimedOut timedOut) {
      if (timedOut.meta().closed()) {
        out.add(closed(timedOut.offset()));
        return new Position(timedOut.offset(), true, true, position.cursor());
      }
      String cursor = StreamCursor.next(position.cursor(), clock);
      out.add(control(new Control(timedOut.offset(), cursor, true, false)));
      return new Position(timedOut.offset(), true, false, cursor);
    }
    StreamProtocol.Chunk chunk = (StreamProtocol.Chunk) reply;
    String cursor = position.cursor();
    List<StreamProtocol.Message> messages = chunk.messages();
    for (int i = 0; i < messages.size(); i++) {
      StreamProtocol.Message message = messages.get(i);
      boolean last = i == messages.size() - 1;
      out.add(data(message.data()));
      if (last && chunk.closedAtTail()) {
        out.add(closed(message.offset()));
      } else {
        cursor = StreamCursor.next(cursor, clock);
        out.add(control(new Control(message.offset(), cursor, last && chunk.upToDate(), false)));
      }
    }
    if (messages.isEmpty()) {
      if (chunk.closedAtTail()) {
        out.add(closed(chunk.next()));
      } else {
        cursor = StreamCursor.next(cursor, clock);
        out.add(control(new Control(chunk.next(), cursor, chunk.upToDate(), false)));
      }
    }
    return new Position(chunk.next(), chunk.upToDate(), chunk.closedAtTail(), cursor);
  }

  private ByteString data(byte[] stored) {
    String payload;
    if (base64) {
      payload = Base64.getEncoder().encodeToString(stored);
    } else if (json) {
      payload = new String(JsonMode.array(List.of(stored)), StandardCharsets.UTF_8);
    } else {
      payload = new String(stored, StandardCharsets.UTF_8);
    }
    StringBuilder event = new StringBuilder("event: data\n");
    // Every line of the payload gets its own data: field, so no payload can end the event early.
    for (String line : payload.split("\r\n|\r|\n", -1)) {
      event.append("data:").append(line).append('\n');
    }
    return ByteString.fromString(event.append('\n').toString());
  }

  private static ByteString closed(String offset) {
    return control(new Control(offset, null, false, true));
  }

  private static ByteString control(Control control) {
    try {
      return ByteString.fromString("event: control\ndata:" + JSON.writeValueAsString(control) + "\n\n");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
