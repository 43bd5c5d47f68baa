package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.Duplicate;
import io.lakeshard.core.stream.StreamProtocol.Producer;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import java.time.Duration;
import java.util.Optional;

/**
 * Kafka-style idempotent producers: within an epoch {@code seq} counts from 0 without gaps; a
 * higher epoch fences the lower ones and starts at 0 again; a retry of a journaled write is a
 * duplicate (acknowledged, not written again). A producer silent for {@code ttl} is forgotten.
 */
final class ProducerFencing {
  /** What the stream last journaled from a producer. */
  record ProducerState(long epoch, long lastSeq, long updatedMillis) {}

  private final long ttlMillis;

  ProducerFencing(Duration ttl) {
    this.ttlMillis = ttl.toMillis();
  }

  /**
   * Empty when {@code producer}'s write is the next one expected; else the answer instead of a
   * write ({@code tail} and {@code closed}: the stream's, for a duplicate).
   */
  Optional<AppendReply> check(ProducerState known, Producer producer, long nowMillis, String tail, boolean closed) {
    if (known != null && nowMillis - known.updatedMillis() > ttlMillis) {
      known = null;
    }
    if (known == null) {
      return producer.seq() == 0 ? Optional.empty()
          : Optional.of(new Refused(Refusal.SEQ_GAP, "producer sequence gap", null, 0, 0, producer.seq()));
    }
    if (producer.epoch() < known.epoch()) {
      return Optional.of(new Refused(Refusal.STALE_EPOCH, "stale producer epoch", null, known.epoch(), 0, 0));
    }
    if (producer.epoch() > known.epoch()) {
      return producer.seq() == 0 ? Optional.empty()
          : Optional.of(Refused.of(Refusal.EPOCH_SEQ, "a new epoch must start at sequence 0"));
    }
    if (producer.seq() <= known.lastSeq()) {
      return Optional.of(new Duplicate(tail, closed, known.epoch(), known.lastSeq()));
    }
    if (producer.seq() == known.lastSeq() + 1) {
      return Optional.empty();
    }
    return Optional.of(new Refused(Refusal.SEQ_GAP, "producer sequence gap", null, 0, known.lastSeq() + 1,
        producer.seq()));
  }
}
