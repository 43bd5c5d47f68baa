package io.lakeshard.core.eventstore;

import io.lakeshard.core.eventstore.EventStore.Command;
import io.lakeshard.core.eventstore.EventStoreLedger.Level;
import io.lakeshard.core.flush.FlushAlarm;
import io.lakeshard.core.flush.FlushLimits;
import io.lakeshard.core.flush.FlushObserver;
import io.lakeshard.core.lake.OffActor;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A store's flushes, owned by its {@link EventStore} actor: the {@link FlushAlarm} decides when
 * (the gateway's rules); each flush's plan is journaled by the ledger first and the lake call run
 * off the actor (result as a message).
 */
final class StoreFlushes {
  private final ActorContext<Command> context;
  private final String storeId;
  private final EventLogLake lake;
  private final ActorRef<EventStoreLedger.Command> ledger;
  private final OffActor offActor;
  private final FlushObserver observer;
  private final FlushAlarm<Command> alarm;

  StoreFlushes(ActorContext<Command> context, TimerScheduler<Command> timers, String storeId, FlushLimits limits,
               EventLogLake lake, ActorRef<EventStoreLedger.Command> ledger, LongSupplier wallMillis,
               FlushObserver observer) {
    this.context = context;
    this.storeId = storeId;
    this.lake = lake;
    this.ledger = ledger;
    this.offActor = OffActor.of(context.getSystem());
    this.observer = observer;
    this.alarm = new FlushAlarm<>("store " + storeId, context, timers, EventStore.FlushDue.INSTANCE, limits,
        wallMillis, () -> ledger.tell(new EventStoreLedger.PlanFlush()));
  }

  boolean flushing() {
    return alarm.flushing();
  }

  /** Why a push is refused now (the lake is behind), or null. */
  String backpressure() {
    String reason = alarm.refusal();
    return reason == null ? null : reason + "; retry";
  }

  /** At start or after the ledger restarted: an unfinished flush is finished first. */
  void recovered(Level now, boolean flushPending) {
    alarm.recovered(now.bytes(), now.oldestCreatedAt(), flushPending);
  }

  /** After anything that changed the unflushed events. */
  void schedule(Level now) {
    alarm.schedule(now.bytes(), now.oldestCreatedAt());
  }

  /** Passivation: see {@link FlushAlarm#beforeStop()}. */
  void beforeStop() {
    alarm.beforeStop();
  }

  void start() {
    alarm.start();
  }

  void ready(EventFlush plan) {
    if (plan == null) {
      alarm.nothingToFlush();
      return;
    }
    long started = System.nanoTime();
    context.pipeToSelf(offActor.run(() -> lake.append(plan)), (result, error) -> error == null
        ? new EventStore.FlushCommitted(result, started)
        : new EventStore.FlushErred(plan, error));
  }

  void committed(EventFlushResult result, long startedNanos) {
    ledger.tell(new EventStoreLedger.RecordFlush(result));
    long nanos = System.nanoTime() - startedNanos;
    observer.flushed(nanos, result.written(), result.bytes());
    context.getLog().info("store {} flush {}: {} events up to seqNum {}, {} bytes, {} ms{}", storeId, result.flushId(),
        result.written(), result.upToSeqNum(), result.bytes(), Duration.ofNanos(nanos).toMillis(),
        result.alreadyCommitted() > 0 ? " (" + result.alreadyCommitted() + " found committed by an earlier attempt)" : "");
  }

  void recorded(Level now) {
    alarm.succeeded(now.bytes(), now.oldestCreatedAt());
    alarm.schedule(now.bytes(), now.oldestCreatedAt());
  }

  void failed(String attempt, Throwable error) {
    observer.flushFailed();
    alarm.failed(attempt, error);
  }
}
