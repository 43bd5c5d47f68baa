package io.lakeshard.node.http;

import io.lakeshard.node.Stages;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A WebSocket message's bytes (a text message's as UTF-8), read up to a limit. A message that
 * arrived in one frame is strict and is read without running a stream: materializing one per
 * message cost the single-client push scenarios about a third of the node's CPU.
 */
public final class WebSocketMessages {
  private WebSocketMessages() {}

  /** The message's bytes, or empty when it is over {@code limit} bytes (drained, not cancelled). */
  public static CompletionStage<Optional<ByteString>> read(Message message, long limit, ActorSystem<?> system) {
    Optional<ByteString> strict = strict(message);
    if (strict.isPresent()) {
      return CompletableFuture.completedFuture(strict.filter(bytes -> bytes.size() <= limit));
    }
    Source<ByteString, ?> data = message.isText()
        ? message.asTextMessage().getStreamedText().map(ByteString::fromString)
        : message.asBinaryMessage().getStreamedData();
    // Draining an oversized message rather than cancelling it, which would fail the whole connection.
    return Stages.direct(data.runFold(ByteString.emptyByteString(),
            (bytes, chunk) -> bytes.size() > limit ? bytes : bytes.concat(chunk), system))
        .thenApply(bytes -> bytes.size() > limit ? Optional.<ByteString>empty() : Optional.of(bytes));
  }

  private static Optional<ByteString> strict(Message message) {
    if (message.isText()) {
      TextMessage text = message.asTextMessage();
      return text.isStrict() ? Optional.of(ByteString.fromString(text.getStrictText())) : Optional.empty();
    }
    BinaryMessage binary = message.asBinaryMessage();
    return binary.isStrict() ? Optional.of(binary.getStrictData()) : Optional.empty();
  }
}
