package io.lakeshard.core.retry;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An actor's record of one kind of call failing in a row (a flush, a segment write): how many
 * times, and when the backoff ends. Owned by one actor, so not thread-safe.
 */
public final class RetryState {
  private final Backoff backoff;
  private int failures;
  private long retryAtNanos;

  public RetryState(Backoff backoff) {
    this.backoff = backoff;
  }

  /** Records a failure; returns how long to wait before the next attempt. */
  public Duration failed() {
    failures++;
    Duration delay = backoff.delay(failures, ThreadLocalRandom.current()::nextDouble);
    retryAtNanos = System.nanoTime() + delay.toNanos();
    return delay;
  }

  public void succeeded() {
    failures = 0;
  }

  /** Whether the last attempt failed: the backoff timer, not new work, decides the next one. */
  public boolean failing() {
    return failures > 0;
  }

  /** Failures in a row (0 after a success). */
  public int failures() {
    return failures;
  }

  /** Time left in the current backoff (zero when not failing). */
  public Duration remaining() {
    return failing() ? Duration.ofNanos(Math.max(0, retryAtNanos - System.nanoTime())) : Duration.ZERO;
  }
}
