package io.lakeshard.core.stream;

import com.typesafe.config.Config;
import io.lakeshard.core.retry.Backoff;
import java.time.Duration;

/**
 * Typed settings of the durable stream entity and its HTTP surface, from {@code lakeshard.stream}.
 *
 * @param longPollTimeout how long a live read waits for an append before answering "nothing new"
 * @param maxBodyBytes largest append or initial body; an append crosses the cluster as one message
 * @param readMaxBytes a catch-up read stops after the message that passes this (the reader follows
 *     Stream-Next-Offset); a read reply also crosses the cluster as one message
 * @param producerStateTtl an idempotent producer silent this long is forgotten
 * @param segmentBytes once the in-memory (hot) tail holds this many bytes, they go to the lake as a segment
 * @param snapshotEveryEvents a snapshot every this many events, deleting the events before it
 * @param segmentBackoff when to retry a failed segment write
 * @param askTimeout how long a stream waits for another (a fork's source, the registry)
 * @param registry whether creations and deletions are recorded in the {@code __registry__} stream
 * @param registryBackoff when to retry a registry write that failed
 * @param journalBackoff when the entity restarts after a journal failure
 *     ({@code lakeshard.entity.journal-backoff}, shared by every entity)
 * @param appendBatch the group commit of plain appends ({@link AppendBatcher})
 */
public record StreamSettings(Duration longPollTimeout, long maxBodyBytes, long readMaxBytes, Duration producerStateTtl,
                             long segmentBytes, int snapshotEveryEvents, Backoff segmentBackoff, Duration askTimeout,
                             boolean registry, Backoff registryBackoff, Backoff journalBackoff,
                             AppendBatching appendBatch) {

  /**
   * One journal write holds at most {@code maxBytes} of bodies (its first append always fits) and
   * {@code maxAppends} appends; at most {@code maxWaiting} commands wait behind a batch.
   */
  public record AppendBatching(long maxBytes, int maxAppends, int maxWaiting) {
    public static AppendBatching fromConfig(Config batch) {
      return new AppendBatching(batch.getBytes("max-bytes"), batch.getInt("max-appends"), batch.getInt("max-waiting"));
    }
  }

  public static StreamSettings fromConfig(Config config) {
    Config stream = config.getConfig("lakeshard.stream");
    return new StreamSettings(
        stream.getDuration("longpoll-timeout"),
        stream.getBytes("max-body-bytes"),
        stream.getBytes("read-max-bytes"),
        stream.getDuration("producer-state-ttl"),
        stream.getBytes("segment-bytes"),
        stream.getInt("snapshot-every-events"),
        Backoff.fromConfig(stream.getConfig("segment-backoff")),
        stream.getDuration("ask-timeout"),
        stream.getBoolean("registry"),
        Backoff.fromConfig(stream.getConfig("registry-backoff")),
        Backoff.fromConfig(config.getConfig("lakeshard.entity.journal-backoff")),
        AppendBatching.fromConfig(stream.getConfig("append-batch")));
  }
}
