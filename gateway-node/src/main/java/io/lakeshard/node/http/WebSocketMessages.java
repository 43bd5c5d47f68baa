package io.lakeshard.node.http;

import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.util.ByteString;

/**
 * A WebSocket message's bytes (a text message's as UTF-8), read up to a limit. {@link
 * MessageLayer} delivers every message strict, so reading runs no stream: materializing one per
 * message cost the single-client push scenarios about a third of the node's CPU.
 */
public final class WebSocketMessages {
  private WebSocketMessages() {}

  /** The message's bytes, or empty when it is over {@code limit} bytes. */
  public static Optional<ByteString> read(Message message, long limit) {
    ByteString bytes = message.isText()
        ? ByteString.fromString(message.asTextMessage().getStrictText())
        : message.asBinaryMessage().getStrictData();
    return bytes.size() <= limit ? Optional.of(bytes) : Optional.empty();
  }
}
