package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamEvent.MessageAppended;
import io.lakeshard.core.stream.StreamEvent.StreamClosed;
import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.AppendSpec;
import io.lakeshard.core.stream.StreamProtocol.Appended;
import io.lakeshard.core.stream.StreamProtocol.Duplicate;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Producer;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import java.time.Duration;
import java.util.Optional;

/**
 * What one append to a live stream does: the Durable Streams rules for a closed stream, the body
 * and its Content-Type, idempotent producers ({@link ProducerFencing}) and Stream-Seq, decided
 * against the state the open batch leaves ({@link AppendBatcher}). It writes nothing: the entity
 * journals what it is given.
 */
final class AppendRule {
  sealed interface Decision {}

  /** Answered without a write. */
  record Answer(AppendReply reply) implements Decision {}

  /**
   * The open batch sets a Stream-Seq this one is not above: refused only once that is durable, so
   * it waits for the batch's write.
   */
  record WaitForBatch() implements Decision {}

  /** A close without data: journal {@code event}, answer with the tail. */
  record Close(StreamClosed event) implements Decision {}

  /** A message: journal {@code event} (alone, or in the open batch when plain). */
  record Take(MessageAppended event) implements Decision {}

  private final ProducerFencing fencing;

  AppendRule(Duration producerStateTtl) {
    this.fencing = new ProducerFencing(producerStateTtl);
  }

  Decision decide(StreamState state, AppendSpec spec, AppendBatcher batcher, long nowMillis) {
    boolean closeOnly = spec.close() && spec.data().length == 0;
    if (state.closed) {
      return new Answer(toClosed(state, spec, closeOnly));
    }
    if (!closeOnly) {
      Refused bad = badBody(state, spec);
      if (bad != null) {
        return new Answer(bad);
      }
    }
    if (spec.producer() != null) {
      Optional<AppendReply> instead = fencing.check(state.producers.get(spec.producer().id()), spec.producer(),
          nowMillis, state.tail, state.closed);
      if (instead.isPresent()) {
        return new Answer(instead.get());
      }
    }
    if (closeOnly) {
      return new Close(new StreamClosed(spec.producer(), nowMillis));
    }
    String lastSeq = batcher.lastSeq(state);
    if (spec.seq() != null && lastSeq != null && spec.seq().compareTo(lastSeq) <= 0) {
      return batcher.holdsSeq() ? new WaitForBatch() : new Answer(Refused.of(Refusal.SEQ_CONFLICT,
          "Stream-Seq " + spec.seq() + " is not above " + lastSeq));
    }
    byte[] stored;
    try {
      stored = JsonMode.stored(state.contentType, spec.data(), false);
    } catch (JsonMode.InvalidJson e) {
      return new Answer(Refused.of(Refusal.INVALID, e.getMessage()));
    }
    Message message = new Message(Offsets.next(batcher.tail(state), stored.length), stored);
    return new Take(new MessageAppended(message, spec.seq(), spec.producer(), spec.close(), nowMillis));
  }

  /** A closed stream takes nothing: its closer's retry is a duplicate and another plain close a no-op. */
  private static AppendReply toClosed(StreamState state, AppendSpec spec, boolean closeOnly) {
    Producer by = state.closedBy;
    if (spec.producer() != null && spec.producer().equals(by)) {
      return new Duplicate(state.tail, true, by.epoch(), by.seq());
    }
    if (closeOnly && spec.producer() == null) {
      return new Appended(state.tail, true);
    }
    return new Refused(Refusal.STREAM_CLOSED, "stream is closed", state.tail, 0, 0, 0);
  }

  /** Why a body cannot be appended (null when it can): empty, or without the stream's Content-Type. */
  private static Refused badBody(StreamState state, AppendSpec spec) {
    if (spec.data().length == 0) {
      return Refused.of(Refusal.INVALID, "empty body");
    }
    String sent = JsonMode.mediaType(spec.contentType());
    if (sent.isEmpty()) {
      return Refused.of(Refusal.CONTENT_TYPE_MISSING, "Content-Type " + state.contentType + " required");
    }
    if (!JsonMode.sameMediaType(sent, state.contentType)) {
      return Refused.of(Refusal.CONTENT_TYPE_MISMATCH, "stream has content type " + state.contentType);
    }
    return null;
  }
}
