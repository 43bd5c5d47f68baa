package io.lakeshard.node.http;

import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
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

  /**
   * A text message's text, or empty when its UTF-8 is over {@code limit} bytes: counted, not
   * encoded, for a reader that parses the String (re-encoding it was a tenth of a LiveStore push).
   */
  public static Optional<String> readText(TextMessage message, long limit) {
    String text = message.getStrictText();
    return utf8Length(text) <= limit ? Optional.of(text) : Optional.empty();
  }

  /** The length of {@code text} in UTF-8, as {@code String.getBytes(UTF_8)} would encode it (a lone surrogate as '?'). */
  static long utf8Length(String text) {
    long length = text.length();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x80) {
        if (c < 0x800) {
          length += 1;
        } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          length += 2;
          i++;
        } else if (!Character.isSurrogate(c)) {
          length += 2;
        }
      }
    }
    return length;
  }
}
