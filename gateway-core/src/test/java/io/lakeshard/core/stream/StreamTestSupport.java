package io.lakeshard.core.stream;

import io.lakeshard.core.retry.Backoff;
import java.time.Duration;
import org.apache.pekko.actor.typed.RecipientRef;

/** Settings and wiring the stream tests share. */
final class StreamTestSupport {
  /** For streams spawned alone (no forks, no registry): nothing else to reach. */
  static final DurableStream.StreamDirectory NO_OTHER_STREAMS = id -> new RecipientRef<>() {
    @Override
    public void tell(StreamProtocol.Command message) {
      throw new IllegalStateException("a stream spawned alone has no stream " + id + " to talk to");
    }
  };

  private StreamTestSupport() {}

  /** The defaults of reference.conf with the given live-read timeout, sizes and segment retry; no registry. */
  static StreamSettings settings(Duration longPollTimeout, long readMaxBytes, long segmentBytes,
                                 int snapshotEveryEvents, Backoff segmentBackoff) {
    return settings(longPollTimeout, readMaxBytes, segmentBytes, snapshotEveryEvents, segmentBackoff,
        new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
  }

  /** With the restart backoff after a journal failure too; reference.conf's append batches. */
  static StreamSettings settings(Duration longPollTimeout, long readMaxBytes, long segmentBytes,
                                 int snapshotEveryEvents, Backoff segmentBackoff, Backoff journalBackoff) {
    return settings(longPollTimeout, readMaxBytes, segmentBytes, snapshotEveryEvents, segmentBackoff, journalBackoff,
        new StreamSettings.AppendBatching(1024 * 1024, 1000, 4000));
  }

  /** With the append batches' limits too. */
  static StreamSettings settings(Duration longPollTimeout, long readMaxBytes, long segmentBytes,
                                 int snapshotEveryEvents, Backoff segmentBackoff, Backoff journalBackoff,
                                 StreamSettings.AppendBatching appendBatch) {
    return new StreamSettings(longPollTimeout, 2 * 1024 * 1024, readMaxBytes, Duration.ofDays(7), segmentBytes,
        snapshotEveryEvents, segmentBackoff, Duration.ofSeconds(5), false,
        new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 0.2), journalBackoff, appendBatch);
  }
}
