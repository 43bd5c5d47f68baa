package io.lakeshard.core.checkpoint;

import com.typesafe.config.Config;
import io.lakeshard.core.retry.Backoff;

/**
 * When a gateway writes a checkpoint on its own (from {@code lakeshard.gateway.checkpoint}): after
 * {@code everyFlushes} flushes, or once {@code afterChanges} deltas were flushed, since the last
 * one (0 turns a trigger off); chunks of about {@code chunkBytes} of protobuf; failed writes
 * retried with {@code backoff}.
 */
public record CheckpointSettings(int everyFlushes, long afterChanges, long chunkBytes, Backoff backoff) {

  public static CheckpointSettings fromConfig(Config checkpoint) {
    return new CheckpointSettings(
        checkpoint.getInt("every-flushes"),
        checkpoint.getLong("after-changes"),
        checkpoint.getBytes("chunk-bytes"),
        Backoff.fromConfig(checkpoint.getConfig("backoff")));
  }

  /** The same chunking and backoff, with both triggers off. */
  public CheckpointSettings withoutPolicy() {
    return new CheckpointSettings(0, 0, chunkBytes, backoff);
  }

  /** Whether {@code flushes} flushes of {@code changes} deltas since the last checkpoint call for the next. */
  public boolean due(int flushes, long changes) {
    return everyFlushes > 0 && flushes >= everyFlushes || afterChanges > 0 && changes >= afterChanges;
  }
}
