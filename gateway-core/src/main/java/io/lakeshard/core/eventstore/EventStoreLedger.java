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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The event-sourced half of an {@link EventStore}: its backendId, head and event log, journaled
 * with Pekko Persistence. It decides a group of pushes at a time, each against the head the ones
 * before it leave, writes every accepted event of the group as one journal event, and tells its
 * store the outcome only once that write committed. A new store journals its backendId before
 * anything else ({@link Ready} comes after). Snapshots every {@code snapshot.every} writes; the
 * events before the oldest kept snapshot are deleted. A failed journal write restarts it with
 * backoff; the pushes of that write are answered {@link Unavailable}.
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

  /** Sent to itself after recovering a store that has no backendId yet. */
  private enum CreateBackendId implements Command { INSTANCE }

  sealed interface Reply extends NoSerializationVerificationNeeded {}

  /** Recovered (at start, or after a restart), with the backendId journaled. */
  record Ready(String backendId, long head) implements Reply {}

  /** The group's answers, lined up with its pushes, and the events each one appended. */
  record GroupWritten(List<Push> pushes, List<PushReply> replies, List<List<StoredEvent>> accepted, long head)
      implements Reply {}

  /** {@code first}: what the subscriber missed (a LiveBatch, or PullNeeded), null for nothing. */
  record Attached(ActorRef<LiveUpdate> subscriber, LiveUpdate first) implements Reply {}

  sealed interface Event extends CborSerializable {}

  record BackendIdCreated(String backendId) implements Event {}

  /** The accepted events of one group write (each batch with its own createdAt). */
  record EventsAppended(List<StoredEvent> events) implements Event {}

  /** The store as a snapshot holds it. */
  record Snapshot(String backendId, long head, List<StoredEvent> events) implements CborSerializable {}

  /** Mutated only by the event handler. */
  static final class State {
    String backendId;
    long head;
    final EventLog log;

    State(String backendId, long head, List<StoredEvent> events) {
      this.backendId = backendId;
      this.head = head;
      this.log = new EventLog(events);
    }
  }

  static Behavior<Command> create(String storeId, EventStoreSettings settings, ActorRef<Reply> store) {
    return Behaviors.setup(context -> new EventStoreLedger(context, storeId, settings, store));
  }

  private final ActorContext<Command> context;
  private final String storeId;
  private final EventStoreSettings settings;
  private final ActorRef<Reply> store;
  /** The command whose write is in flight; it outlives a restart, so recovery knows whose write failed. */
  private Command persisting;
  /** Pekko starts every recovery, also after a restart, from this object: events never change it (see writable). */
  private State initial;

  private EventStoreLedger(ActorContext<Command> context, String storeId, EventStoreSettings settings,
                           ActorRef<Reply> store) {
    super(PersistenceId.of(EventStore.ENTITY_TYPE_KEY.name(), storeId), settings.journalBackoff().restarts());
    this.context = context;
    this.storeId = storeId;
    this.settings = settings;
    this.store = store;
  }

  @Override
  public State emptyState() {
    initial = new State(null, 0, List.of());
    return initial;
  }

  private State writable(State state) {
    return state != initial ? state : new State(null, 0, List.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots())
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return new Snapshot(state.backendId, state.head, List.copyOf(state.log.events()));
      }

      @Override
      public State fromJournal(Object from) {
        Snapshot snapshot = (Snapshot) from;
        return new State(snapshot.backendId(), snapshot.head(), snapshot.events());
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
          }
          persisting = null;
          if (state.backendId == null) {
            context.getSelf().tell(CreateBackendId.INSTANCE);
          } else {
            store.tell(new Ready(state.backendId, state.head));
          }
        })
        .build();
  }

  /** Whether the failed write was stored is unknown: the client retries, and its retry meets the head it left. */
  private void answerUnjournaled(Append append, State state) {
    Unavailable unavailable = new Unavailable("store " + storeId + " could not journal the push; retry it");
    store.tell(new GroupWritten(append.pushes(), Collections.nCopies(append.pushes().size(), unavailable),
        Collections.nCopies(append.pushes().size(), List.of()), state.head));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(Read.class, this::onRead)
        .onCommand(Attach.class, (state, attach) ->
            Effect().reply(store, new Attached(attach.subscriber(), missed(state, attach.afterSeqNum()))))
        .onCommand(Describe.class, (state, describe) -> Effect().reply(describe.replyTo(),
            new EventStore.Info(storeId, state.backendId, state.head, state.log.size(), describe.subscribers(),
                Optional.empty())))
        .onCommand(CreateBackendId.class, (state, create) -> {
          if (state.backendId != null) {
            return Effect().reply(store, new Ready(state.backendId, state.head));
          }
          persisting = create;
          return Effect().persist(new BackendIdCreated(BackendIds.next())).thenRun(after -> persisting = null)
              .thenReply(store, after -> new Ready(after.backendId, after.head));
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
    GroupWritten written = new GroupWritten(append.pushes(), replies, accepted, head);
    if (all.isEmpty()) {
      return Effect().reply(store, written);
    }
    persisting = append;
    return Effect().persist(new EventsAppended(all)).thenRun(after -> persisting = null).thenReply(store, after -> written);
  }

  private ReplyEffect<Event, State> onRead(State state, Read read) {
    EventStore.Pull pull = read.pull();
    if (pull.backendId().isPresent() && !pull.backendId().get().equals(state.backendId)) {
      return Effect().reply(pull.replyTo(), new BackendIdMismatch(state.backendId, pull.backendId().get()));
    }
    List<StoredEvent> events = state.log.events();
    int from = state.log.indexAfter(pull.afterSeqNum());
    int end = EventPages.pageEnd(events, from, settings.pageEvents(), settings.pageBytes());
    return Effect().reply(pull.replyTo(),
        new Page(List.copyOf(events.subList(from, end)), events.size() - end, state.backendId));
  }

  /** Everything after {@code afterSeqNum} as one batch if it fits a page, else PullNeeded; null if nothing. */
  private LiveUpdate missed(State state, long afterSeqNum) {
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
        .build();
  }
}
