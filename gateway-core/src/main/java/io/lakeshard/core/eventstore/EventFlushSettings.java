package io.lakeshard.core.eventstore;

import com.typesafe.config.Config;
import io.lakeshard.core.retry.Backoff;
import java.time.Duration;

/**
 * When a store flushes its events to the lake ({@code lakeshard.livestore.flush}), the same
 * rules as a gateway's: at once past {@code maxBufferBytes} unflushed (encoded) bytes, else
 * {@code maxBufferAge} after the oldest unflushed event; a failed flush is retried with
 * {@code backoff}, and past twice {@code maxBufferBytes} pushes are refused until one succeeds;
 * while a healthy flush is only slow, pushes are refused past sixteen times it.
 */
public record EventFlushSettings(long maxBufferBytes, Duration maxBufferAge, Backoff backoff) {

  public static EventFlushSettings fromConfig(Config config) {
    Config flush = config.getConfig("lakeshard.livestore.flush");
    return new EventFlushSettings(flush.getBytes("max-buffer-bytes"), flush.getDuration("max-buffer-age"),
        Backoff.fromConfig(flush.getConfig("backoff")));
  }

  /** Past this much unflushed data while flushes fail, pushes are refused until one succeeds. */
  public long backpressureBytes() {
    return 2 * maxBufferBytes;
  }

  /**
   * Past this much while a healthy flush still runs, pushes are refused too: a busy store keeps
   * accepting (the next flush follows at once), but a slow lake cannot make it hold the heap.
   */
  public long busyLimitBytes() {
    return 16 * maxBufferBytes;
  }
}
