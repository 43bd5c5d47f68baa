package io.lakeshard.core.gateway;

import io.lakeshard.core.flush.FlushAlarm;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.gateway.GatewayLedger.BufferLevel;
import io.lakeshard.core.gateway.SyncGateway.Command;
import io.lakeshard.core.gateway.SyncGateway.FlushReply;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.lake.OffActor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A gateway's flushes, owned by its {@link SyncGateway} actor: the {@link FlushAlarm} decides when
 * (its limits from {@link GatewaySettings#flush()}); each flush's plan is journaled by the ledger
 * first and the lake call run off the actor (result as a message). Admin flush asks are answered
 * when the flush they wait for ends.
 */
final class GatewayFlushes {
  private final ActorContext<Command> context;
  private final String gatewayId;
  private final GatewayLake lake;
  private final ActorRef<GatewayLedger.Command> ledger;
  private final LongSupplier wallMillis;
  private final OffActor offActor;
  private final GatewayObserver observer;
  private final FlushAlarm<Command> alarm;
  private BufferLevel level = new BufferLevel(0, 0);
  private long peakBufferBytes;
  private long lastFlushAtMillis;
  private long throttledPushes;
  private List<ActorRef<FlushReply>> waiters = new ArrayList<>();
  private List<ActorRef<FlushReply>> nextWaiters = new ArrayList<>();

  GatewayFlushes(ActorContext<Command> context, TimerScheduler<Command> timers, String gatewayId,
                 GatewaySettings settings, GatewayLake lake, ActorRef<GatewayLedger.Command> ledger,
                 LongSupplier wallMillis, OffActor offActor, GatewayObserver observer) {
    this.context = context;
    this.gatewayId = gatewayId;
    this.lake = lake;
    this.ledger = ledger;
    this.wallMillis = wallMillis;
    this.offActor = offActor;
    this.observer = observer;
    this.alarm = new FlushAlarm<>("gateway " + gatewayId, context, timers, SyncGateway.FlushDue.INSTANCE,
        settings.flush(), wallMillis, () -> ledger.tell(new GatewayLedger.PlanFlush()));
  }

  boolean flushing() {
    return alarm.flushing();
  }

  boolean passivating() {
    return alarm.passivating();
  }

  BufferLevel level() {
    return level;
  }

  long peakBufferBytes() {
    return peakBufferBytes;
  }

  SyncGateway.FlushStatus status() {
    return new SyncGateway.FlushStatus(lastFlushAtMillis, alarm.failures(), alarm.overLimit(), throttledPushes);
  }

  /** The answer to a push that must be turned away now (counted), or null. */
  SyncGateway.PushThrottled refusal() {
    String reason = alarm.refusal();
    if (reason == null) {
      return null;
    }
    throttledPushes++;
    return new SyncGateway.PushThrottled(alarm.retryAfter(), reason);
  }

  /** At start, or after the ledger restarted (a flush may be running then: it goes on). */
  void recovered(BufferLevel now, boolean flushPending) {
    levelIs(now);
    alarm.recovered(now.bytes(), oldestMillis(now), flushPending);
  }

  /** After anything that changed the buffer. */
  void schedule(BufferLevel now) {
    levelIs(now);
    alarm.schedule(now.bytes(), oldestMillis(now));
  }

  /** An admin flush: the running one's end does not answer it, its own flush does. */
  void ask(ActorRef<FlushReply> replyTo) {
    (alarm.flushing() ? nextWaiters : waiters).add(replyTo);
    alarm.start();
  }

  void start() {
    alarm.start();
  }

  /** The ledger journaled the plan ({@code null}: nothing to flush); the lake call runs off the actor. */
  void ready(FlushPlan plan) {
    if (plan == null) {
      alarm.nothingToFlush();
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
    levelIs(now);
    alarm.succeeded(now.bytes(), oldestMillis(now));
    lastFlushAtMillis = wallMillis.getAsLong();
    answer(new SyncGateway.FlushDone(result));
    if (waiters.isEmpty()) {
      schedule(now);
    } else {
      // asked during the flush that just ended: a flush of its own, answered even if nothing is left
      alarm.start();
    }
  }

  void failed(String attempt, Throwable error) {
    observer.flushFailed();
    alarm.failed(attempt, error);
    // Nobody waits through a backoff: who asked during this flush hears the failure too.
    waiters.addAll(nextWaiters);
    nextWaiters = new ArrayList<>();
    answer(new SyncGateway.FlushFailed("flush failed: " + error.getMessage()));
  }

  /** Passivation: see {@link FlushAlarm#beforeStop()}. */
  void beforeStop() {
    alarm.beforeStop();
  }

  private static long oldestMillis(BufferLevel level) {
    return HybridClock.wallOf(level.oldestStamp());
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
