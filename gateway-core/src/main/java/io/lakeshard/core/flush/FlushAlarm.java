package io.lakeshard.core.flush;

import io.lakeshard.core.retry.RetryState;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The flush alarm of an entity that buffers for the lake, owned by its actor (one thread): flush
 * at once past {@link FlushLimits#maxBufferBytes()}, else one timer {@link FlushLimits#maxBufferAge()}
 * after the oldest unflushed write; one flush at a time (asked during one, the next follows at
 * once). A failure is retried after a backoff, and meanwhile the backoff timer, not new writes,
 * decides the next attempt. {@link #refusal()} applies the limits' backpressure. The entity does the
 * flush itself: {@code plan} starts it, and the entity reports its end here.
 *
 * @param <T> the entity's command type; {@code due} is the command its timer sends
 */
public final class FlushAlarm<T> {
  private static final Object TIMER = "flush";

  private final String owner;
  private final ActorContext<T> context;
  private final TimerScheduler<T> timers;
  private final T due;
  private final FlushLimits limits;
  private final LongSupplier wallMillis;
  private final Runnable plan;
  private final RetryState retry;
  private long bufferedBytes;
  private long oldestWallMillis;
  private boolean flushing;
  /** Something wanted a flush while one ran: flush again as soon as it ends. */
  private boolean again;
  private boolean passivating;

  /**
   * @param owner who flushes, for logs and refusals ("gateway g1")
   * @param plan  starts a flush (asks the entity's ledger to journal its plan)
   */
  public FlushAlarm(String owner, ActorContext<T> context, TimerScheduler<T> timers, T due, FlushLimits limits,
                    LongSupplier wallMillis, Runnable plan) {
    this.owner = owner;
    this.context = context;
    this.timers = timers;
    this.due = due;
    this.limits = limits;
    this.wallMillis = wallMillis;
    this.plan = plan;
    this.retry = new RetryState(limits.backoff());
  }

  public boolean flushing() {
    return flushing;
  }

  public boolean passivating() {
    return passivating;
  }

  /** Failed flushes in a row (0 after a success). */
  public int failures() {
    return retry.failures();
  }

  /** Whether writes are refused now. */
  public boolean overLimit() {
    return bufferedBytes >= limit();
  }

  /** Why a write is refused now (the lake is behind), or null. */
  public String refusal() {
    if (!overLimit()) {
      return null;
    }
    return owner + " holds " + bufferedBytes + " unflushed bytes (limit " + limit() + ") while "
        + (retry.failing() ? "its flushes to the lake fail" : "a slow flush to the lake runs");
  }

  /** When a refused writer should come back: the backoff's end, in whole seconds, at least one. */
  public Duration retryAfter() {
    long remaining = retry.remaining().toNanos();
    return Duration.ofSeconds(Math.max(1, (remaining + 999_999_999L) / 1_000_000_000L));
  }

  /** Tight while the lake fails (nothing drains the buffer), loose while a flush is only busy. */
  private long limit() {
    return retry.failing() ? limits.backpressureBytes() : limits.busyLimitBytes();
  }

  /** At start, or after the ledger restarted (a flush may be running then: it goes on). */
  public void recovered(long bytes, long oldestMillis, boolean flushPending) {
    buffered(bytes, oldestMillis);
    if (flushPending && !flushing && !retry.failing()) {
      context.getLog().info("{} recovered with an unfinished flush; finishing it", owner);
      start();
    } else {
      schedule(bytes, oldestMillis);
    }
  }

  /** After anything that changed the buffer: flush now or set the timer. */
  public void schedule(long bytes, long oldestMillis) {
    buffered(bytes, oldestMillis);
    if (flushing || retry.failing() || bufferedBytes == 0 || passivating) {
      return;
    }
    Duration age = Duration.ofMillis(Math.max(0, wallMillis.getAsLong() - oldestWallMillis));
    if (again || bufferedBytes >= limits.maxBufferBytes() || age.compareTo(limits.maxBufferAge()) >= 0) {
      start();
    } else if (!timers.isTimerActive(TIMER)) {
      timers.startSingleTimer(TIMER, due, limits.maxBufferAge().minus(age));
    }
  }

  /** A flush now, or right after the one running. */
  public void start() {
    if (flushing) {
      again = true;
      return;
    }
    timers.cancel(TIMER);
    flushing = true;
    again = false;
    plan.run();
  }

  /** The plan found nothing to flush. */
  public void nothingToFlush() {
    flushing = false;
  }

  /** The flush is recorded; the entity schedules what is next. */
  public void succeeded(long bytes, long oldestMillis) {
    flushing = false;
    retry.succeeded();
    buffered(bytes, oldestMillis);
  }

  /** A flush step failed: the backoff timer sets the next attempt. */
  public void failed(String attempt, Throwable error) {
    flushing = false;
    again = false;
    Duration delay = retry.failed();
    timers.startSingleTimer(TIMER, due, delay);
    context.getLog().warn("{} {} failed ({} in a row); retrying in {} ms: {}", owner, attempt, retry.failures(),
        delay.toMillis(), error.toString());
  }

  /**
   * Passivation: no alarm from now on; what is buffered is flushed once, so that the writes of an
   * entity nobody uses again still reach the lake. Not while the node shuts down: it hands every
   * entity off at once and stops the lake dispatcher (all is journaled; the next owner flushes).
   */
  public void beforeStop() {
    passivating = true;
    boolean nodeStopping = CoordinatedShutdown.get(context.getSystem()).getShutdownReason().isPresent();
    if (!nodeStopping && !flushing && !retry.failing() && bufferedBytes > 0) {
      start();
    }
  }

  private void buffered(long bytes, long oldestMillis) {
    bufferedBytes = bytes;
    oldestWallMillis = oldestMillis;
  }
}
