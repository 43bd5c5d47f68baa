package io.lakeshard.core.gateway;

import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.gateway.GatewayLedger.BufferLevel;
import io.lakeshard.core.gateway.SyncGateway.Command;
import io.lakeshard.core.gateway.SyncGateway.FlushReply;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.retry.RetryState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A gateway's flush alarm and backpressure, owned by its {@link SyncGateway} actor: flush at once
 * past {@code max-buffer-bytes}, else one timer {@code max-buffer-age} after the oldest delta;
 * one flush at a time, its plan journaled by the ledger first and the lake call run off the actor
 * (result as a message). A failure keeps the buffer and is retried after a backoff, and meanwhile
 * the backoff timer, not new pushes, decides the next attempt. Pushes are refused past twice the
 * buffer limit while flushes fail, and past {@link GatewaySettings#busyLimitBytes()} while a
 * healthy flush is only slow. Admin flush asks are answered when the flush they wait for ends.
 */
final class GatewayFlushes {
  private static final Object FLUSH_TIMER = "flush";

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String gatewayId;
  private final GatewaySettings settings;
  private final GatewayLake lake;
  private final ActorRef<GatewayLedger.Command> ledger;
  private final LongSupplier wallMillis;
  private final OffActor offActor;
  private final GatewayObserver observer;
  /** While failing, the backoff timer, not the buffer, decides when to retry. */
  private final RetryState retry;
  private BufferLevel level = new BufferLevel(0, 0);
  private long peakBufferBytes;
  private long lastFlushAtMillis;
  private long throttledPushes;
  private boolean flushing;
  /** Something wanted a flush while one ran: flush again as soon as it ends. */
  private boolean again;
  private boolean passivating;
  private List<ActorRef<FlushReply>> waiters = new ArrayList<>();
  private List<ActorRef<FlushReply>> nextWaiters = new ArrayList<>();

  GatewayFlushes(ActorContext<Command> context, TimerScheduler<Command> timers, String gatewayId,
                 GatewaySettings settings, GatewayLake lake, ActorRef<GatewayLedger.Command> ledger,
                 LongSupplier wallMillis, OffActor offActor, GatewayObserver observer) {
    this.context = context;
    this.timers = timers;
    this.gatewayId = gatewayId;
    this.settings = settings;
    this.lake = lake;
    this.ledger = ledger;
    this.wallMillis = wallMillis;
    this.offActor = offActor;
    this.observer = observer;
    this.retry = new RetryState(settings.flushBackoff());
  }

  boolean flushing() {
    return flushing;
  }

  boolean passivating() {
    return passivating;
  }

  BufferLevel level() {
    return level;
  }

  long peakBufferBytes() {
    return peakBufferBytes;
  }

  SyncGateway.FlushStatus status() {
    return new SyncGateway.FlushStatus(lastFlushAtMillis, retry.failures(), level.bytes() >= limit(), throttledPushes);
  }

  /** The answer to a push that must be turned away now (counted), or null. */
  SyncGateway.PushThrottled refusal() {
    if (level.bytes() < limit()) {
      return null;
    }
    throttledPushes++;
    long remaining = retry.remaining().toNanos();
    Duration retryAfter = Duration.ofSeconds(Math.max(1, (remaining + 999_999_999L) / 1_000_000_000L));
    return new SyncGateway.PushThrottled(retryAfter, "gateway " + gatewayId + " holds " + level.bytes()
        + " unflushed bytes (limit " + limit() + ") while "
        + (retry.failing() ? "its flushes to the lake fail" : "a slow flush to the lake runs"));
  }

  /** Tight while the lake fails (nothing drains the buffer), loose while a flush is only busy. */
  private long limit() {
    return retry.failing() ? settings.backpressureBytes() : settings.busyLimitBytes();
  }

  /** At start, or after the ledger restarted (a flush may be running then: it goes on). */
  void recovered(BufferLevel now, boolean flushPending) {
    levelIs(now);
    if (flushPending && !flushing && !retry.failing()) {
      context.getLog().info("gateway {} recovered with an unfinished flush; finishing it", gatewayId);
      start();
    } else {
      schedule(now);
    }
  }

  /** The alarm: after anything that changed the buffer, flush now or set the timer. */
  void schedule(BufferLevel now) {
    levelIs(now);
    if (flushing || retry.failing() || level.bytes() == 0 || passivating) {
      return;
    }
    Duration age = Duration.ofMillis(wallMillis.getAsLong() - HybridClock.wallOf(level.oldestStamp()));
    if (again || level.bytes() >= settings.maxBufferBytes() || age.compareTo(settings.maxBufferAge()) >= 0) {
      start();
    } else if (!timers.isTimerActive(FLUSH_TIMER)) {
      timers.startSingleTimer(FLUSH_TIMER, SyncGateway.FlushDue.INSTANCE, settings.maxBufferAge().minus(age));
    }
  }

  /** An admin flush: the running one's end does not answer it, its own flush does. */
  void ask(ActorRef<FlushReply> replyTo) {
    if (flushing) {
      nextWaiters.add(replyTo);
      again = true;
    } else {
      waiters.add(replyTo);
      start();
    }
  }

  void start() {
    if (flushing) {
      again = true;
      return;
    }
    timers.cancel(FLUSH_TIMER);
    flushing = true;
    again = false;
    ledger.tell(new GatewayLedger.PlanFlush());
  }

  /** The ledger journaled the plan ({@code null}: nothing to flush); the lake call runs off the actor. */
  void ready(FlushPlan plan) {
    if (plan == null) {
      flushing = false;
      answer(new SyncGateway.NothingToFlush());
      return;
    }
    long started = System.nanoTime();
    context.pipeToSelf(offActor.run(() -> lake.flush(plan)), (result, error) -> error == null
        ? new SyncGateway.FlushCommitted(result, started)
        : new SyncGateway.FlushErred(plan, error));
  }

  /** Committed to the lake: the ledger records it next. */
  void committed(FlushResult result, long startedNanos) {
    ledger.tell(new GatewayLedger.RecordFlush(result));
    long nanos = System.nanoTime() - startedNanos;
    observer.flushed(nanos, result.rows(), result.bytes());
    context.getLog().info("gateway {} flush {}: {} deltas, {} bytes in {} files, {} ms, {} commit retries{}", gatewayId,
        result.seq(), result.rows(), result.bytes(), result.files().size(), Duration.ofNanos(nanos).toMillis(),
        result.commitRetries(), result.files().stream().anyMatch(FlushResult.DataFileWritten::alreadyCommitted)
            ? " (found already committed by an earlier attempt)" : "");
  }

  /** The flush is recorded in the journal: who waited hears it, and the alarm decides what is next. */
  void recorded(FlushResult result, BufferLevel now) {
    flushing = false;
    retry.succeeded();
    lastFlushAtMillis = wallMillis.getAsLong();
    levelIs(now);
    answer(new SyncGateway.FlushDone(result));
    if (waiters.isEmpty()) {
      schedule(now);
    } else {
      // asked during the flush that just ended: a flush of its own, answered even if nothing is left
      start();
    }
  }

  void failed(String attempt, Throwable error) {
    observer.flushFailed();
    flushing = false;
    Duration delay = retry.failed();
    timers.startSingleTimer(FLUSH_TIMER, SyncGateway.FlushDue.INSTANCE, delay);
    context.getLog().warn("gateway {} {} failed ({} in a row); retrying in {} ms: {}", gatewayId, attempt,
        retry.failures(), delay.toMillis(), error.toString());
    // Nobody waits through a backoff: who asked during this flush hears the failure too.
    waiters.addAll(nextWaiters);
    nextWaiters = new ArrayList<>();
    again = false;
    answer(new SyncGateway.FlushFailed("flush failed: " + error.getMessage()));
  }

  /**
   * Passivation: no alarm from now on; what is buffered is flushed once, unless the node shuts
   * down (it hands every gateway off at once and stops the lake dispatcher; all is journaled and
   * the new owner flushes).
   */
  void beforeStop() {
    passivating = true;
    boolean nodeStopping = CoordinatedShutdown.get(context.getSystem()).getShutdownReason().isPresent();
    if (!nodeStopping && !flushing && !retry.failing() && level.bytes() > 0) {
      start();
    }
  }

  private void levelIs(BufferLevel now) {
    level = now;
    peakBufferBytes = Math.max(peakBufferBytes, now.bytes());
  }

  /** Answers who waited for the flush that just ended; who asked during it waits for the next. */
  private void answer(FlushReply reply) {
    waiters.forEach(waiter -> waiter.tell(reply));
    waiters = nextWaiters;
    nextWaiters = new ArrayList<>();
  }
}
