package io.lakeshard.core.eventstore;

import io.lakeshard.core.eventstore.EventStore.Command;
import io.lakeshard.core.eventstore.EventStoreLedger.Level;
import io.lakeshard.core.flush.FlushObserver;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.retry.RetryState;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A store's flush alarm, owned by its {@link EventStore} actor (the gateway's rules): flush at
 * once past {@code max-buffer-bytes}, else one timer {@code max-buffer-age} after the oldest
 * unflushed event; one flush at a time, its plan journaled first and the lake call run off the
 * actor (result as a message); a failure is retried after a backoff, and meanwhile the
 * backoff timer, not new pushes, decides the next attempt. Past twice the limit pushes are refused
 * while flushes fail, past sixteen times it while a healthy flush is only slow.
 */
final class StoreFlushes {
  private static final Object FLUSH_TIMER = "flush";

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String storeId;
  private final EventFlushSettings settings;
  private final EventLogLake lake;
  private final ActorRef<EventStoreLedger.Command> ledger;
  private final LongSupplier wallMillis;
  private final OffActor offActor;
  private final RetryState retry;
  private final FlushObserver observer;
  private Level level = new Level(0, 0);
  private boolean flushing;

  StoreFlushes(ActorContext<Command> context, TimerScheduler<Command> timers, String storeId, EventFlushSettings settings,
               EventLogLake lake, ActorRef<EventStoreLedger.Command> ledger, LongSupplier wallMillis,
               FlushObserver observer) {
    this.context = context;
    this.timers = timers;
    this.storeId = storeId;
    this.settings = settings;
    this.lake = lake;
    this.ledger = ledger;
    this.wallMillis = wallMillis;
    this.offActor = OffActor.of(context.getSystem());
    this.retry = new RetryState(settings.backoff());
    this.observer = observer;
  }

  boolean flushing() {
    return flushing;
  }

  /** Why a push is refused now (the lake is behind; see the class comment), or null. */
  String backpressure() {
    long limit = retry.failing() ? settings.backpressureBytes() : settings.busyLimitBytes();
    if (level.bytes() < limit) {
      return null;
    }
    return "store " + storeId + " holds " + level.bytes() + " unflushed bytes (limit " + limit + ") while "
        + (retry.failing() ? "its flushes to the lake fail" : "a slow flush to the lake runs") + "; retry";
  }

  /** At start or after the ledger restarted: an unfinished flush is finished first. */
  void recovered(Level now, boolean flushPending) {
    level = now;
    if (flushPending && !flushing && !retry.failing()) {
      context.getLog().info("store {} recovered with an unfinished flush; finishing it", storeId);
      start();
    } else {
      schedule(now);
    }
  }

  /** The alarm: after anything that changed the unflushed events, flush now or set the timer. */
  void schedule(Level now) {
    level = now;
    if (flushing || retry.failing() || level.bytes() == 0) {
      return;
    }
    Duration age = Duration.ofMillis(Math.max(0, wallMillis.getAsLong() - level.oldestCreatedAt()));
    if (level.bytes() >= settings.maxBufferBytes() || age.compareTo(settings.maxBufferAge()) >= 0) {
      start();
    } else if (!timers.isTimerActive(FLUSH_TIMER)) {
      timers.startSingleTimer(FLUSH_TIMER, EventStore.FlushDue.INSTANCE, settings.maxBufferAge().minus(age));
    }
  }

  /**
   * A store that passivates flushes first, as a gateway does, so that events of a store nobody
   * uses again still reach the lake. Not while the node shuts down: it hands every store off at
   * once and stops the lake dispatcher (all is journaled; the next owner flushes).
   */
  void beforeStop() {
    boolean nodeStopping = CoordinatedShutdown.get(context.getSystem()).getShutdownReason().isPresent();
    if (!nodeStopping && !retry.failing() && level.bytes() > 0) {
      start();
    }
  }

  void start() {
    if (flushing) {
      return;
    }
    timers.cancel(FLUSH_TIMER);
    flushing = true;
    ledger.tell(new EventStoreLedger.PlanFlush());
  }

  void ready(EventFlush plan) {
    if (plan == null) {
      flushing = false;
      return;
    }
    long started = System.nanoTime();
    context.pipeToSelf(offActor.run(() -> lake.append(plan)), (result, error) -> error == null
        ? new EventStore.FlushCommitted(result, started)
        : new EventStore.FlushErred(plan, error));
  }

  void committed(EventFlushResult result, long startedNanos) {
    ledger.tell(new EventStoreLedger.RecordFlush(result));
    observer.flushed(System.nanoTime() - startedNanos, result.written(), result.bytes());
    context.getLog().info("store {} flush {}: {} events up to seqNum {}, {} bytes, {} ms{}", storeId, result.flushId(),
        result.written(), result.upToSeqNum(), result.bytes(),
        Duration.ofNanos(System.nanoTime() - startedNanos).toMillis(),
        result.alreadyCommitted() > 0 ? " (" + result.alreadyCommitted() + " found committed by an earlier attempt)" : "");
  }

  void recorded(Level now) {
    flushing = false;
    retry.succeeded();
    schedule(now);
  }

  void failed(String attempt, Throwable error) {
    flushing = false;
    Duration delay = retry.failed();
    observer.flushFailed();
    timers.startSingleTimer(FLUSH_TIMER, EventStore.FlushDue.INSTANCE, delay);
    context.getLog().warn("store {} {} failed ({} in a row); retrying in {} ms: {}", storeId, attempt,
        retry.failures(), delay.toMillis(), error.toString());
  }
}
