package io.lakeshard.node.http;

import org.apache.pekko.http.impl.engine.ws.FrameHandler;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.util.ByteString;

/**
 * A WebSocket message's parts (its frames, and a frame's chunks as they arrive off the wire)
 * collected into one strict message. Parts are kept while the message is within {@code limit}
 * (bytes of a binary message, characters of a text one, each at least one UTF-8 byte); after that
 * the rest is dropped, so a message over the limit arrives cut short but still over it, in its
 * turn, for the socket's own limit check to refuse.
 */
final class WholeMessages {
  private final long limit;
  private boolean open;
  private ByteString binary = ByteString.emptyByteString();
  /** A text message of more than one part; null between messages. */
  private StringBuilder text;

  WholeMessages(long limit) {
    this.limit = limit;
  }

  /** The whole message once {@code part} is its last, else null. */
  Message add(FrameHandler.MessageDataPart part) {
    open = !part.last();
    return part instanceof FrameHandler.TextMessagePart textPart
        ? addText(textPart.data(), textPart.last())
        : addBinary(((FrameHandler.BinaryMessagePart) part).data(), part.last());
  }

  /** Whether a message has begun and not ended. */
  boolean inMessage() {
    return open;
  }

  private Message addBinary(ByteString data, boolean last) {
    if (binary.size() <= limit) {
      binary = binary.concat(data);
    }
    if (!last) {
      return null;
    }
    Message whole = BinaryMessage.create(binary);
    binary = ByteString.emptyByteString();
    return whole;
  }

  private Message addText(String data, boolean last) {
    if (text == null && last) {
      return TextMessage.create(data);
    }
    if (text == null) {
      text = new StringBuilder(data);
    } else if (text.length() <= limit) {
      text.append(data);
    }
    if (!last) {
      return null;
    }
    Message whole = TextMessage.create(text.toString());
    text = null;
    return whole;
  }
}
