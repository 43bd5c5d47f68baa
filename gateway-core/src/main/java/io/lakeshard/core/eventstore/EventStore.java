package io.lakeshard.core.eventstore;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.eventstore.EventStoreLedger.Attached;
import io.lakeshard.core.eventstore.EventStoreLedger.FlushNotJournaled;
import io.lakeshard.core.eventstore.EventStoreLedger.FlushReady;
import io.lakeshard.core.eventstore.EventStoreLedger.FlushRecorded;
import io.lakeshard.core.eventstore.EventStoreLedger.GroupWritten;
import io.lakeshard.core.eventstore.EventStoreLedger.Ready;
import io.lakeshard.core.flush.FlushLimits;
import io.lakeshard.core.flush.FlushObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One LiveStore store (the entity id is the store id): the single owner of its event log, its
 * head and its backendId (LiveStore's sync Durable Object). Like {@code SyncGateway} it is two
 * actors: this one holds the live subscribers and groups pushes (pushes that arrive while a
 * journal write is in flight go to the {@link EventStoreLedger} together as the next write; those
 * the head known here already refuses are answered at once), the ledger journals. A push is
 * answered only after its write committed, and its events reach every subscriber before that
 * answer.
 *
 * <p>Its events go to the lake ({@link EventLogLake}) by the flush alarm ({@link StoreFlushes});
 * once flushed they leave memory and the journal, and pulls from below the tail read them back.
 *
 * <p>Until the ledger has recovered, and for a new store journaled a backendId, commands wait
 * here (stashed), so nothing is ever answered with a backendId that is not yet journaled.
 */
public final class EventStore extends AbstractBehavior<EventStore.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "EventStore");

  // ---- protocol ----

  // A command without someone to answer cannot be built (nor deserialized from another node), so
  // what reaches the entity can always be answered.
  public sealed interface Command extends CborSerializable {}

  /**
   * A client's batch. Accepted only if {@code batch[0].parentSeqNum} is the head and each later
   * event's parent is the event before it, with seqNums growing (see {@link PushRule}); a
   * {@code Some} backendId must be the store's. An empty batch is accepted at once, unchecked (as
   * LiveStore does). Pushes are decided one after another in arrival order.
   */
  public record Push(List<LiveEvent> batch, Optional<String> backendId, ActorRef<PushReply> replyTo)
      implements Command {
    public Push {
      Objects.requireNonNull(replyTo, "replyTo");
      batch = batch == null ? List.of() : batch;
      backendId = backendId == null ? Optional.empty() : backendId;
    }
  }

  /**
   * One page of the events with {@code seqNum > afterSeqNum} (a client without cursor asks from
   * 0), ascending, cut at {@code page.max-events} and {@code page.max-bytes}. A {@code Some}
   * backendId that is not the store's is refused.
   */
  public record Pull(long afterSeqNum, Optional<String> backendId, ActorRef<PullReply> replyTo) implements Command {
    public Pull {
      Objects.requireNonNull(replyTo, "replyTo");
      backendId = backendId == null ? Optional.empty() : backendId;
    }
  }

  /**
   * Live fan-out. Idempotent, and meant to be re-sent every few seconds while the subscriber
   * lives: it keeps the entity from idle passivation and re-attaches the subscriber to a new
   * incarnation after a passivation, rebalance or failover (the entity forgets its subscribers
   * then). The guarantee: after a Subscribe with {@code afterSeqNum}, the subscriber gets every
   * event with {@code seqNum > afterSeqNum}, in order, without gaps:
   * <ul>
   *   <li>a subscriber not yet attached first gets the events it missed (those after
   *       {@code afterSeqNum} up to the head) as one {@link LiveBatch} when they fit one page, and
   *       is attached; then every accepted batch follows as a LiveBatch;</li>
   *   <li>when they do not fit (or, later, are no longer in memory) it gets {@link PullNeeded} and is
   *       NOT attached: it pulls from its cursor and subscribes again with the cursor it reached;</li>
   *   <li>an attached subscriber's Subscribe changes nothing (its {@code afterSeqNum} may lag the
   *       batches already on their way to it).</li>
   * </ul>
   * A subscriber keeps its cursor and ignores events at or below it (a batch of the old
   * incarnation may still arrive after a re-attach). A subscriber that stops is dropped (watched).
   */
  public record Subscribe(ActorRef<LiveUpdate> subscriber, long afterSeqNum) implements Command {
    public Subscribe {
      Objects.requireNonNull(subscriber, "subscriber");
    }
  }

  public record Unsubscribe(ActorRef<LiveUpdate> subscriber) implements Command {}

  /** What an operator sees of the store (admin). */
  public record GetInfo(ActorRef<Info> replyTo) implements Command {
    public GetInfo {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * {@code events}: how many events the store holds; {@code subscribers}: attached live
   * subscribers; {@code lastFlush}: the last flush to the lake (empty until one ran).
   */
  public record Info(String storeId, String backendId, long head, long events, int subscribers,
                     Optional<LastFlush> lastFlush) implements CborSerializable {}

  /** Flush {@code seq} wrote the events up to {@code upToSeqNum}, committed at {@code atMillis}. */
  public record LastFlush(long seq, long upToSeqNum, long atMillis) implements CborSerializable {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = Accepted.class, name = "accepted"),
      @JsonSubTypes.Type(value = ServerAhead.class, name = "server-ahead"),
      @JsonSubTypes.Type(value = BackendIdMismatch.class, name = "backend-id-mismatch"),
      @JsonSubTypes.Type(value = InvalidPush.class, name = "invalid"),
      @JsonSubTypes.Type(value = Unavailable.class, name = "unavailable")})
  public sealed interface PushReply extends CborSerializable {}

  /** {@code head}: the store's head after this push (for an empty batch: as of the last write). */
  public record Accepted(long head) implements PushReply {}

  /**
   * LiveStore's ServerAheadError: {@code minimumExpectedNum} is the head; {@code providedNum} the
   * batch's first parentSeqNum, also when the chain breaks inside the batch (the client rebases
   * its whole batch either way, and the head is what it must build on).
   */
  public record ServerAhead(long minimumExpectedNum, long providedNum) implements PushReply {}

  /** The push or cursor names another backendId than the store's (the client resets). */
  public record BackendIdMismatch(String expected, String received) implements PushReply, PullReply {}

  /**
   * The batch breaks a limit (more than {@code max-push-events} events, more than
   * {@code max-message-bytes} encoded, one event that alone does not fit a page) or an event lacks
   * a name, clientId or sessionId. The transport normally refuses these before; the entity answers
   * them anyway rather than fail.
   */
  public record InvalidPush(String message) implements PushReply {}

  /**
   * The store cannot serve this now; the client may retry. For a push: its journal write failed
   * and it was not acknowledged (whether it was stored shows in the head its retry meets).
   */
  public record Unavailable(String message) implements PushReply, PullReply {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = Page.class, name = "page"),
      @JsonSubTypes.Type(value = BackendIdMismatch.class, name = "backend-id-mismatch"),
      @JsonSubTypes.Type(value = Unavailable.class, name = "unavailable")})
  public sealed interface PullReply extends CborSerializable {}

  /**
   * {@code remaining}: how many events follow this page (0: the last one, LiveStore's
   * {@code NoMore}; else {@code MoreKnown{remaining}}). An empty store answers one empty page.
   */
  public record Page(List<StoredEvent> events, long remaining, String backendId) implements PullReply {}

  /** What a subscriber receives (see {@link Subscribe}). */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = LiveBatch.class, name = "batch"),
      @JsonSubTypes.Type(value = PullNeeded.class, name = "pull-needed")})
  public sealed interface LiveUpdate extends CborSerializable {}

  /**
   * Consecutive events: the first one's parent is the last event the subscriber got (or its
   * subscribe cursor). It is sent before the push's reply; a transport gets this echo before the
   * push's answer only if the subscriber and the push's {@code replyTo} are the same actor (Pekko
   * orders messages per sender and receiver pair, not across receivers), so the session actor
   * must be both. A batch may exceed one wire chunk ({@link EventPages#split} cuts it).
   */
  public record LiveBatch(String storeId, String backendId, List<StoredEvent> events) implements LiveUpdate {}

  /** The subscriber is not attached: it pulls from {@code afterSeqNum} and subscribes again. */
  public record PullNeeded(String storeId, String backendId, long afterSeqNum) implements LiveUpdate {}

  /** An answer of the ledger (always a local child). */
  private record FromLedger(EventStoreLedger.Reply reply) implements Command, NoSerializationVerificationNeeded {}

  /** The flush alarm rang, or a failed flush's backoff ended. */
  enum FlushDue implements Command, NoSerializationVerificationNeeded { INSTANCE }

  record FlushCommitted(EventFlushResult result, long startedNanos) implements Command, NoSerializationVerificationNeeded {}

  record FlushErred(EventFlush plan, Throwable error) implements Command, NoSerializationVerificationNeeded {}

  /** From sharding: finish the journal writes and the flush in flight, then stop. */
  /** Sharding's stop message (package-private for the tests that passivate a store). */
  enum Passivate implements Command, NoSerializationVerificationNeeded { INSTANCE }

  // ---- wiring ----

  public static void init(ActorSystem<?> system, EventStoreSettings settings, FlushLimits flush,
                          EventLogLake lake, FlushObserver observer) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_TYPE_KEY, entityContext ->
                create(entityContext.getEntityId(), settings, flush, lake, System::currentTimeMillis, observer))
            .withStopMessage(Passivate.INSTANCE));
  }

  /** Commands waiting for the ledger's recovery (more are dropped, as a restart stash drops them). */
  private static final int STARTING_STASH = 1_000;

  public static Behavior<Command> create(String storeId, EventStoreSettings settings, FlushLimits flush,
                                         EventLogLake lake) {
    return create(storeId, settings, flush, lake, System::currentTimeMillis, FlushObserver.NONE);
  }

  /** {@code wallMillis}: the flush alarm's clock (tests set their own); {@code observer}: told of every flush. */
  static Behavior<Command> create(String storeId, EventStoreSettings settings, FlushLimits flush,
                                  EventLogLake lake, LongSupplier wallMillis, FlushObserver observer) {
    return Behaviors.withStash(STARTING_STASH, stash -> Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      ActorRef<EventStoreLedger.Command> ledger = context.spawn(EventStoreLedger.create(storeId, settings, lake,
          context.messageAdapter(EventStoreLedger.Reply.class, FromLedger::new)), "ledger");
      // The ledger restarts with backoff after a journal failure; it stops only on what a restart
      // cannot fix. The store stops with it then, and sharding recovers it on its next message.
      context.watch(ledger);
      StoreFlushes flushes = new StoreFlushes(context, timers, storeId, flush, lake, ledger, wallMillis, observer);
      return starting(storeId, settings, ledger, flushes, stash);
    })));
  }

  private static Behavior<Command> starting(String storeId, EventStoreSettings settings,
                                            ActorRef<EventStoreLedger.Command> ledger, StoreFlushes flushes,
                                            StashBuffer<Command> stash) {
    return Behaviors.receive(Command.class)
        .onMessage(FromLedger.class, from -> {
          if (from.reply() instanceof Ready ready) {
            flushes.recovered(ready.level(), ready.flushPending());
            return stash.unstashAll(Behaviors.setup(context ->
                new EventStore(context, storeId, settings, ledger, flushes, ready)));
          }
          return Behaviors.same();
        })
        .onMessage(Passivate.class, passivate -> Behaviors.stopped())
        .onSignal(Terminated.class, terminated -> Behaviors.stopped())
        .onAnyMessage(command -> {
          stash.stash(command);
          return Behaviors.same();
        })
        .build();
  }

  private final String storeId;
  private final String backendId;
  private final EventStoreSettings settings;
  private final ActorRef<EventStoreLedger.Command> ledger;
  private final LiveSubscribers subscribers;
  private final StoreFlushes flushes;
  private List<Push> waiting = new ArrayList<>();
  private boolean writing;
  private boolean stopping;
  /**
   * The head as of the last write the ledger reported: the ledger's head while no write is in
   * flight, and never above it (heads only grow). The ledger decides what it accepts.
   */
  private long head;

  private EventStore(ActorContext<Command> context, String storeId, EventStoreSettings settings,
                     ActorRef<EventStoreLedger.Command> ledger, StoreFlushes flushes, Ready ready) {
    super(context);
    this.storeId = storeId;
    this.backendId = ready.backendId();
    this.settings = settings;
    this.ledger = ledger;
    this.flushes = flushes;
    this.subscribers = new LiveSubscribers(storeId, ready.backendId());
    this.head = ready.head();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Push.class, this::onPush)
        .onMessage(Pull.class, pull -> {
          ledger.tell(new EventStoreLedger.Read(pull));
          return this;
        })
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessage(GetInfo.class, get -> {
          ledger.tell(new EventStoreLedger.Describe(subscribers.size(), get.replyTo()));
          return this;
        })
        .onMessage(FromLedger.class, from -> onLedger(from.reply()))
        .onMessage(FlushDue.class, due -> {
          flushes.start();
          return this;
        })
        .onMessage(FlushCommitted.class, committed -> {
          flushes.committed(committed.result(), committed.startedNanos());
          return this;
        })
        .onMessage(FlushErred.class, erred -> {
          flushes.failed("flush " + erred.plan().flushId() + " of " + erred.plan().events().size() + " events",
              erred.error());
          return stopIfDone();
        })
        .onMessage(Passivate.class, passivate -> {
          stopping = true;
          flushes.beforeStop();
          return stopIfDone();
        })
        .onSignal(Terminated.class, terminated -> {
          getContext().getLog().warn("store {} ledger stopped ({} pushes waiting); stopping so it recovers",
              storeId, waiting.size());
          return Behaviors.stopped();
        })
        .build();
  }

  private Behavior<Command> onLedger(EventStoreLedger.Reply reply) {
    if (reply instanceof GroupWritten written) {
      return onGroupWritten(written);
    } else if (reply instanceof FlushReady ready) {
      flushes.ready(ready.plan());
      return stopIfDone();
    } else if (reply instanceof FlushRecorded recorded) {
      flushes.recorded(recorded.level());
      return stopIfDone();
    } else if (reply instanceof FlushNotJournaled failed) {
      flushes.failed("flush " + failed.step(), new IllegalStateException("the journal write failed"));
      return stopIfDone();
    } else if (reply instanceof Ready ready) {
      flushes.recovered(ready.level(), ready.flushPending()); // after a ledger restart: a flush may still be running
      return this;
    } else if (reply instanceof Attached attached) {
      if (!subscribers.attach(attached.subscriber(), attached.first())) {
        getContext().unwatch(attached.subscriber()); // told to pull, or gone meanwhile
      }
      return this;
    }
    return this;
  }

  private Behavior<Command> onPush(Push push) {
    if (push.batch().isEmpty()) {
      push.replyTo().tell(new Accepted(head));
      return this;
    }
    String backpressure = flushes.backpressure();
    if (backpressure != null) {
      push.replyTo().tell(new Unavailable(backpressure)); // nothing accepted: the client retries
      return this;
    }
    PushReply refused = knownRefusal(push, !writing && waiting.isEmpty());
    if (refused != null) {
      push.replyTo().tell(refused);
      return this;
    }
    waiting.add(push);
    if (!writing) {
      writeWaiting();
    }
    return this;
  }

  /**
   * The refusal the ledger would answer, when the head known here settles it: {@code exact} (no
   * write in flight, every push before this one refused) this head is the ledger's; else a batch
   * whose first parent is below it is behind whatever the writes before it leave, and its
   * ServerAhead names this head as the minimum expected. Under contention most pushes are refused:
   * answered here they skip the round trip through the ledger, and a pusher's rebased push is not
   * held behind the refusal of its last one. Null: the ledger decides.
   */
  private PushReply knownRefusal(Push push, boolean exact) {
    LiveEvent first = push.batch().get(0);
    if (!exact && first != null && first.parentSeqNum() >= head) {
      return null;
    }
    return PushRule.refusal(push.batch(), push.backendId(), backendId, head, settings);
  }

  /** After a write: the waiting pushes the new head refuses are answered at once. */
  private void refuseWaiting() {
    boolean exact = true;
    for (Iterator<Push> pending = waiting.iterator(); pending.hasNext(); ) {
      Push push = pending.next();
      PushReply refused = knownRefusal(push, exact);
      if (refused == null) {
        exact = false;
      } else {
        push.replyTo().tell(refused);
        pending.remove();
      }
    }
  }

  /** Sends the waiting pushes, up to {@code group-commit.max-events} (at least one push), as one write. */
  private void writeWaiting() {
    int events = 0;
    int taken = 0;
    while (taken < waiting.size()
        && (taken == 0 || events + waiting.get(taken).batch().size() <= settings.maxGroupEvents())) {
      events += waiting.get(taken++).batch().size();
    }
    List<Push> group = List.copyOf(waiting.subList(0, taken));
    waiting = new ArrayList<>(waiting.subList(taken, waiting.size()));
    ledger.tell(new EventStoreLedger.Append(group));
    writing = true;
  }

  /** Fan-out first, then the answers, push by push, so each pusher sees its echo before its reply. */
  private Behavior<Command> onGroupWritten(GroupWritten written) {
    for (int i = 0; i < written.pushes().size(); i++) {
      List<StoredEvent> accepted = written.accepted().get(i);
      if (!accepted.isEmpty()) {
        subscribers.broadcast(accepted);
      }
      written.pushes().get(i).replyTo().tell(written.replies().get(i));
    }
    head = written.head();
    writing = false;
    refuseWaiting();
    flushes.schedule(written.level());
    if (!waiting.isEmpty()) {
      writeWaiting();
    }
    return stopIfDone();
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    if (subscribers.request(subscribe.subscriber())) {
      getContext().watchWith(subscribe.subscriber(), new Unsubscribe(subscribe.subscriber()));
      // Through the ledger, behind any write in flight: its answer holds everything up to the head
      // at that point, and batches written after it reach the subscriber once it is attached.
      ledger.tell(new EventStoreLedger.Attach(subscribe.subscriber(), subscribe.afterSeqNum()));
    }
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe unsubscribe) {
    if (subscribers.remove(unsubscribe.subscriber())) {
      getContext().unwatch(unsubscribe.subscriber());
    }
    return this;
  }

  private Behavior<Command> stopIfDone() {
    if (stopping && !writing && waiting.isEmpty() && !flushes.flushing()) {
      getContext().getLog().debug("store {} stops (head {})", storeId, head);
      return Behaviors.stopped();
    }
    return this;
  }
}
