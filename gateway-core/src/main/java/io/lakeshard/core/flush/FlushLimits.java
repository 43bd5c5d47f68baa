package io.lakeshard.core.flush;

import com.typesafe.config.Config;
import io.lakeshard.core.retry.Backoff;
import java.time.Duration;

/**
 * When an entity that buffers for the lake (a gateway, a LiveStore store) flushes, from its
 * {@code flush} config section: at once past {@code maxBufferBytes} unflushed bytes, else
 * {@code maxBufferAge} after the oldest unflushed write; a failed flush is retried with
 * {@code backoff}. Writes are refused past {@link #backpressureBytes()} while flushes fail and past
 * {@link #busyLimitBytes()} while a healthy flush is only slow.
 */
public record FlushLimits(long maxBufferBytes, Duration maxBufferAge, Backoff backoff) {

  /** From a section with {@code max-buffer-bytes}, {@code max-buffer-age} and {@code backoff}. */
  public static FlushLimits fromConfig(Config flush) {
    return new FlushLimits(flush.getBytes("max-buffer-bytes"), flush.getDuration("max-buffer-age"),
        Backoff.fromConfig(flush.getConfig("backoff")));
  }

  /** Past this much unflushed data while flushes fail, writes are refused until one succeeds. */
  public long backpressureBytes() {
    return 2 * maxBufferBytes;
  }

  /**
   * Past this much while a healthy flush still runs, writes are refused too: a busy entity keeps
   * accepting (each flush takes what is buffered, the next follows at once), but a lake that is
   * slow without failing cannot make one entity hold the heap.
   */
  public long busyLimitBytes() {
    return 16 * maxBufferBytes;
  }
}
