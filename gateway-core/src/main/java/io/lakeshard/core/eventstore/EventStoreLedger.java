package io.lakeshard.core.eventstore;

import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.eventstore.EventStore.Accepted;
import io.lakeshard.core.eventstore.EventStore.BackendIdMismatch;
import io.lakeshard.core.eventstore.EventStore.LiveBatch;
import io.lakeshard.core.eventstore.EventStore.LiveUpdate;
import io.lakeshard.core.eventstore.EventStore.Page;
import io.lakeshard.core.eventstore.EventStore.PullNeeded;
import io.lakeshard.core.eventstore.EventStore.Push;
import io.lakeshard.core.eventstore.EventStore.PushReply;
import io.lakeshard.core.eventstore.EventStore.Unavailable;
import io.lakeshard.core.journal.JournalPruner;
import io.lakeshard.core.lake.OffActor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The event-sourced half of an {@link EventStore}: its backendId, head and event log, journaled
 * with Pekko Persistence. It decides a group of pushes at a time, each against the head the ones
 * before it leave, writes every accepted event of the group as one journal event, and tells its
 * store the outcome only once that write committed. A new store journals its backendId before
 * anything else ({@link Ready} comes after). A failed journal write restarts it with backoff;
 * the pushes of that write are answered {@link Unavailable}.
 *
 * <p>Flushes to the lake as a gateway's ledger does: {@link FlushPlanned} is journaled before the
 * store writes the plan, {@link Flushed} after the commit; then the flushed events leave memory,
 * a snapshot follows and the journal before it is deleted ({@link JournalPruner}), so the journal
 * holds only what is unflushed. A pull or subscriber from below the tail reads the lake.
 */
final class EventStoreLedger
    extends EventSourcedBehaviorWithEnforcedReplies<EventStoreLedger.Command, EventStoreLedger.Event, EventStoreLedger.State> {

  /** Local only: the ledger is always a child of its store. */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Pushes to decide and journal in one write, in arrival order. */
  record Append(List<Push> pushes) implements Command {}

  record Read(EventStore.Pull pull) implements Command {}

  /** A new subscriber: answered with {@link Attached}, in order with the writes. */
  record Attach(ActorRef<LiveUpdate> subscriber, long afterSeqNum) implements Command {}

  record Describe(int subscribers, ActorRef<EventStore.Info> replyTo) implements Command {}

  /** The store wants to flush: answered with {@link FlushReady}. */
  record PlanFlush() implements Command {}

  /** A flush is committed to the lake: journal it, drop its events from memory, answer {@link FlushRecorded}. */
  record RecordFlush(EventFlushResult result) implements Command {}

  /** The lake's part of a pull from below the tail, back from the lake dispatcher. */
  private record LakeRead(EventStore.Pull pull, FlushPoint readAt, List<StoredEvent> flushed, Throwable error)
      implements Command {}

  /** Sent to itself after recovering a store that has no backendId yet. */
  private enum CreateBackendId implements Command { INSTANCE }

  sealed interface Reply extends NoSerializationVerificationNeeded {}

  /**
   * Recovered (at start, or after a restart), with the backendId journaled; {@code flushPending}:
   * a flush was planned and not recorded (it runs, or a crash interrupted it).
   */
  record Ready(String backendId, long head, Level level, boolean flushPending) implements Reply {}

  /** The group's answers, lined up with its pushes, and the events each one appended. */
  record GroupWritten(List<Push> pushes, List<PushReply> replies, List<List<StoredEvent>> accepted, long head,
                      Level level) implements Reply {}

  /** Unflushed encoded bytes, and when the oldest unflushed event was accepted (0 when none). */
  record Level(long bytes, long oldestCreatedAt) {}

  /** What to flush, or null when nothing is unflushed. */
  record FlushReady(EventFlush plan) implements Reply {}

  /** The flush is journaled and its events left memory. */
  record FlushRecorded(EventFlushResult result, Level level) implements Reply {}

  /** Journaling a flush step (its plan, or its result) failed: the flush is to be retried. */
  record FlushNotJournaled(String step) implements Reply {}

  /** {@code first}: what the subscriber missed (a LiveBatch, or PullNeeded), null for nothing. */
  record Attached(ActorRef<LiveUpdate> subscriber, LiveUpdate first) implements Reply {}

  sealed interface Event extends CborSerializable {}

  record BackendIdCreated(String backendId) implements Event {}

  /** The accepted events of one group write (each batch with its own createdAt). */
  record EventsAppended(List<StoredEvent> events) implements Event {}

  /** Flush {@code flushId} will write every unflushed event up to {@code upToSeqNum}; journaled before it runs. */
  record FlushPlanned(long flushId, long upToSeqNum) implements Event {}

  /** Flush {@code flushId} committed {@code events} events up to {@code upToSeqNum} at {@code atMillis}. */
  record Flushed(long flushId, long upToSeqNum, long events, long atMillis) implements Event {}

  /**
   * The store as a snapshot holds it: its unflushed events, and how far the lake has the rest
   * ({@code flushed} and {@code pendingFlush} are null in snapshots taken before the lake flush).
   */
  record Snapshot(String backendId, long head, List<StoredEvent> events, FlushPoint flushed, FlushPlanned pendingFlush)
      implements CborSerializable {}

  /** Mutated only by the event handler. */
  static final class State {
    String backendId;
    long head;
    final EventLog log;
    FlushPoint flushed;
    FlushPlanned pendingFlush;

    State(String backendId, long head, List<StoredEvent> events, FlushPoint flushed, FlushPlanned pendingFlush) {
      this.backendId = backendId;
      this.head = head;
      this.log = new EventLog(events);
      this.flushed = flushed == null ? FlushPoint.NONE : flushed;
      this.pendingFlush = pendingFlush;
    }

    Level level() {
      return new Level(log.bytes(), log.oldestCreatedAt());
    }
  }

  static Behavior<Command> create(String storeId, EventStoreSettings settings, EventLogLake lake, ActorRef<Reply> store) {
    return Behaviors.setup(context -> new EventStoreLedger(context, storeId, settings, lake, store));
  }

  private final ActorContext<Command> context;
  private final String storeId;
  private final EventStoreSettings settings;
  private final ActorRef<Reply> store;
  private final EventLogLake lake;
  private final OffActor offActor;
  /** The command whose write is in flight; it outlives a restart, so recovery knows whose write failed. */
  private Command persisting;
  /** Pekko starts every recovery, also after a restart, from this object: events never change it (see writable). */
  private State initial;

  private EventStoreLedger(ActorContext<Command> context, String storeId, EventStoreSettings settings,
                           EventLogLake lake, ActorRef<Reply> store) {
    super(PersistenceId.of(EventStore.ENTITY_TYPE_KEY.name(), storeId), settings.journalBackoff().restarts());
    this.context = context;
    this.storeId = storeId;
    this.settings = settings;
    this.store = store;
    this.lake = lake;
    this.offActor = OffActor.of(context.getSystem());
  }

  @Override
  public State emptyState() {
    initial = new State(null, 0, List.of(), null, null);
    return initial;
  }

  private State writable(State state) {
    return state != initial ? state : new State(null, 0, List.of(), null, null);
  }

  /**
   * After a flush memory is small: the moment to snapshot and prune (see the SnapshotCompleted
   * signal), and the only one. The state is the unflushed log, so a snapshot between flushes holds
   * what the journal holds; a count-based one (every 500 writes) serialized the whole unflushed log
   * each time, about a quarter of the node's CPU with one client pushing single events (JFR).
   */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    return event instanceof Flushed;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return new Snapshot(state.backendId, state.head, List.copyOf(state.log.events()), state.flushed,
            state.pendingFlush);
      }

      @Override
      public State fromJournal(Object from) {
        Snapshot snapshot = (Snapshot) from;
        return new State(snapshot.backendId(), snapshot.head(), snapshot.events(), snapshot.flushed(),
            snapshot.pendingFlush());
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (persisting instanceof Append append) {
            context.getLog().warn("store {} recovered after a failed journal write; its {} pushes are answered"
                + " as not stored", storeId, append.pushes().size());
            answerUnjournaled(append, state);
          } else if (persisting instanceof PlanFlush || persisting instanceof RecordFlush) {
            store.tell(new FlushNotJournaled(persisting instanceof PlanFlush ? "plan" : "result"));
          }
          persisting = null;
          if (state.backendId == null) {
            context.getSelf().tell(CreateBackendId.INSTANCE);
          } else {
            store.tell(ready(state));
          }
        })
        // Once the snapshot is saved nothing before it is needed: the flushed events are in the lake.
        .onSignal(SnapshotCompleted.class, (state, completed) ->
            Adapter.actorOf(context, JournalPruner.props(completed.metadata().persistenceId(),
                completed.metadata().sequenceNr())))
        .build();
  }

  private static Ready ready(State state) {
    return new Ready(state.backendId, state.head, state.level(), state.pendingFlush != null);
  }

  /** Whether the failed write was stored is unknown: the client retries, and its retry meets the head it left. */
  private void answerUnjournaled(Append append, State state) {
    Unavailable unavailable = new Unavailable("store " + storeId + " could not journal the push; retry it");
    store.tell(new GroupWritten(append.pushes(), Collections.nCopies(append.pushes().size(), unavailable),
        Collections.nCopies(append.pushes().size(), List.of()), state.head, state.level()));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(Read.class, this::onRead)
        .onCommand(Attach.class, (state, attach) ->
            Effect().reply(store, new Attached(attach.subscriber(), missed(state, attach.afterSeqNum()))))
        .onCommand(Describe.class, (state, describe) -> Effect().reply(describe.replyTo(),
            new EventStore.Info(storeId, state.backendId, state.head, state.flushed.events() + state.log.size(),
                describe.subscribers(), lastFlush(state.flushed))))
        .onCommand(PlanFlush.class, this::onPlanFlush)
        .onCommand(RecordFlush.class, this::onRecordFlush)
        .onCommand(LakeRead.class, this::onLakeRead)
        .onCommand(CreateBackendId.class, (state, create) -> {
          if (state.backendId != null) {
            return Effect().reply(store, ready(state));
          }
          persisting = create;
          return Effect().persist(new BackendIdCreated(BackendIds.next())).thenRun(after -> persisting = null)
              .thenReply(store, EventStoreLedger::ready);
        })
        .build();
  }

  private ReplyEffect<Event, State> onAppend(State state, Append append) {
    List<PushReply> replies = new ArrayList<>(append.pushes().size());
    List<List<StoredEvent>> accepted = new ArrayList<>(append.pushes().size());
    List<StoredEvent> all = new ArrayList<>();
    long head = state.head;
    for (Push push : append.pushes()) {
      PushRule.Decision decision = PushRule.decide(push.batch(), push.backendId(), state.backendId, head,
          System.currentTimeMillis(), settings);
      if (decision.refused() == null) {
        head = decision.accepted().get(decision.accepted().size() - 1).seqNum();
        replies.add(new Accepted(head));
        all.addAll(decision.accepted());
      } else {
        replies.add(decision.refused());
      }
      accepted.add(decision.accepted());
    }
    if (all.isEmpty()) {
      return Effect().reply(store, new GroupWritten(append.pushes(), replies, accepted, head, state.level()));
    }
    persisting = append;
    long newHead = head;
    return Effect().persist(new EventsAppended(all)).thenRun(after -> persisting = null)
        .thenReply(store, after -> new GroupWritten(append.pushes(), replies, accepted, newHead, after.level()));
  }

  private ReplyEffect<Event, State> onRead(State state, Read read) {
    EventStore.Pull pull = read.pull();
    if (pull.backendId().isPresent() && !pull.backendId().get().equals(state.backendId)) {
      return Effect().reply(pull.replyTo(), new BackendIdMismatch(state.backendId, pull.backendId().get()));
    }
    if (pull.afterSeqNum() < state.flushed.upToSeqNum()) {
      readLake(state, pull);
      return Effect().noReply(); // the lake read answers
    }
    List<StoredEvent> events = state.log.events();
    int from = state.log.indexAfter(pull.afterSeqNum());
    int end = EventPages.pageEnd(events, from, settings.pageEvents(), settings.pageBytes());
    return Effect().reply(pull.replyTo(),
        new Page(List.copyOf(events.subList(from, end)), events.size() - end, state.backendId));
  }

  /** Reads a page of flushed events off the actor; the result comes back as a {@link LakeRead}. */
  private void readLake(State state, EventStore.Pull pull) {
    String backendId = state.backendId;
    FlushPoint readAt = state.flushed;
    context.pipeToSelf(offActor.run(() -> lake.read(storeId, backendId, pull.afterSeqNum(), settings.pageEvents())),
        (flushed, error) -> new LakeRead(pull, readAt, flushed, error));
  }

  private ReplyEffect<Event, State> onLakeRead(State state, LakeRead read) {
    if (read.error() != null) {
      context.getLog().warn("store {}: reading flushed events after {} failed: {}", storeId,
          read.pull().afterSeqNum(), read.error().toString());
      return Effect().reply(read.pull().replyTo(), new Unavailable("cannot read flushed events from the lake; retry"));
    }
    boolean tailIntact = read.readAt().equals(state.flushed);
    if (read.flushed().isEmpty() && !tailIntact) {
      readLake(state, read.pull()); // a flush moved the tail during the read: what follows the cursor is in the lake now
      return Effect().noReply();
    }
    return Effect().reply(read.pull().replyTo(), LakePages.page(read.pull().afterSeqNum(), read.flushed(), tailIntact,
        state.log, state.flushed, state.backendId, settings));
  }

  private ReplyEffect<Event, State> onPlanFlush(State state, PlanFlush plan) {
    if (state.pendingFlush != null) {
      return Effect().reply(store, new FlushReady(planOf(state, state.pendingFlush)));
    }
    if (state.log.size() == 0) {
      return Effect().reply(store, new FlushReady(null));
    }
    persisting = plan;
    return Effect().persist(new FlushPlanned(state.flushed.flushId() + 1, state.head))
        .thenRun(after -> persisting = null)
        .thenReply(store, after -> new FlushReady(planOf(after, after.pendingFlush)));
  }

  /** The plan's events are the unflushed ones up to its seqNum: the same on every retry, also after a crash. */
  private EventFlush planOf(State state, FlushPlanned planned) {
    List<StoredEvent> events = state.log.events();
    return new EventFlush(storeId, state.backendId, planned.flushId(),
        events.subList(0, state.log.indexAfter(planned.upToSeqNum())));
  }

  private ReplyEffect<Event, State> onRecordFlush(State state, RecordFlush record) {
    EventFlushResult result = record.result();
    if (state.pendingFlush == null || state.pendingFlush.flushId() != result.flushId()) {
      return Effect().reply(store, new FlushRecorded(result, state.level())); // recorded already (a retried answer)
    }
    long events = state.log.indexAfter(state.pendingFlush.upToSeqNum());
    persisting = record;
    return Effect().persist(new Flushed(result.flushId(), state.pendingFlush.upToSeqNum(), events,
            System.currentTimeMillis()))
        .thenRun(after -> persisting = null)
        .thenReply(store, after -> new FlushRecorded(result, after.level()));
  }

  private static Optional<EventStore.LastFlush> lastFlush(FlushPoint flushed) {
    return flushed.flushId() == 0 ? Optional.empty()
        : Optional.of(new EventStore.LastFlush(flushed.flushId(), flushed.upToSeqNum(), flushed.atMillis()));
  }

  /** Everything after {@code afterSeqNum} as one batch if it fits a page, else PullNeeded; null if nothing. */
  private LiveUpdate missed(State state, long afterSeqNum) {
    if (afterSeqNum < state.flushed.upToSeqNum()) {
      return new PullNeeded(storeId, state.backendId, afterSeqNum); // what it missed is in the lake
    }
    List<StoredEvent> events = state.log.events();
    int from = state.log.indexAfter(afterSeqNum);
    if (from == events.size()) {
      return null;
    }
    int end = EventPages.pageEnd(events, from, settings.pageEvents(), settings.pageBytes());
    return end == events.size()
        ? new LiveBatch(storeId, state.backendId, List.copyOf(events.subList(from, end)))
        : new PullNeeded(storeId, state.backendId, afterSeqNum);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(BackendIdCreated.class, (current, event) -> {
          State state = writable(current);
          state.backendId = event.backendId();
          return state;
        })
        .onEvent(EventsAppended.class, (current, event) -> {
          State state = writable(current);
          state.log.append(event.events());
          state.head = event.events().get(event.events().size() - 1).seqNum();
          return state;
        })
        .onEvent(FlushPlanned.class, (current, event) -> {
          State state = writable(current);
          state.pendingFlush = event;
          return state;
        })
        .onEvent(Flushed.class, (current, event) -> {
          State state = writable(current);
          state.log.dropThrough(event.upToSeqNum());
          state.flushed = new FlushPoint(event.flushId(), event.upToSeqNum(), state.flushed.events() + event.events(),
              event.atMillis());
          state.pendingFlush = null;
          return state;
        })
        .build();
  }
}
