package io.lakeshard.core.stream;

import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.retry.Backoff;
import io.lakeshard.core.stream.StreamEvent.ForkAttached;
import io.lakeshard.core.stream.StreamEvent.ForkDetached;
import io.lakeshard.core.stream.StreamEvent.MessageAppended;
import io.lakeshard.core.stream.StreamEvent.RegistryChange;
import io.lakeshard.core.stream.StreamEvent.RegistryRecorded;
import io.lakeshard.core.stream.StreamEvent.SegmentSealed;
import io.lakeshard.core.stream.StreamEvent.StreamDeleted;
import io.lakeshard.core.stream.StreamEvent.StreamSoftDeleted;
import io.lakeshard.core.stream.StreamProtocol.Append;
import io.lakeshard.core.stream.StreamProtocol.AppendBatch;
import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.AppendSpec;
import io.lakeshard.core.stream.StreamProtocol.Appended;
import io.lakeshard.core.stream.StreamProtocol.AttachFork;
import io.lakeshard.core.stream.StreamProtocol.Chunk;
import io.lakeshard.core.stream.StreamProtocol.Command;
import io.lakeshard.core.stream.StreamProtocol.Create;
import io.lakeshard.core.stream.StreamProtocol.CreateReply;
import io.lakeshard.core.stream.StreamProtocol.CreateSpec;
import io.lakeshard.core.stream.StreamProtocol.Created;
import io.lakeshard.core.stream.StreamProtocol.Delete;
import io.lakeshard.core.stream.StreamProtocol.Deleted;
import io.lakeshard.core.stream.StreamProtocol.Described;
import io.lakeshard.core.stream.StreamProtocol.DetachFork;
import io.lakeshard.core.stream.StreamProtocol.FlushAppends;
import io.lakeshard.core.stream.StreamProtocol.ForkAnswered;
import io.lakeshard.core.stream.StreamProtocol.ForkFrom;
import io.lakeshard.core.stream.StreamProtocol.ForkPoint;
import io.lakeshard.core.stream.StreamProtocol.ForkReply;
import io.lakeshard.core.stream.StreamProtocol.Head;
import io.lakeshard.core.stream.StreamProtocol.Read;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import io.lakeshard.core.stream.StreamProtocol.RegistryAnswered;
import io.lakeshard.core.stream.StreamProtocol.RegistryRetry;
import io.lakeshard.core.stream.StreamProtocol.SealRetry;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import io.lakeshard.core.stream.StreamProtocol.SegmentWriteDone;
import io.lakeshard.core.stream.StreamProtocol.SegmentsLoaded;
import io.lakeshard.core.stream.StreamProtocol.TimedOut;
import io.lakeshard.core.stream.StreamProtocol.WaitsDue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One durable stream (Durable Streams protocol): the single sequencer of its appends. An append is
 * journaled before it is acknowledged, so every offset a client was given is readable after any
 * crash. The rules live beside it: {@link AppendRule} (with {@link ProducerFencing}), {@link StreamPaging}, {@link LiveReaders}
 * (caught-up long-polls and SSE connections wait here), {@link SegmentTiering} (the cold part in
 * the lake), {@link ForkCut}, {@link RegistryOutbox}, {@link AppendBatcher} (plain appends go to the
 * journal in groups, one write per group) and {@link WriteInFlight} (a failed write's command is answered
 * after recovery); {@link StreamState} is its state and snapshot, {@link StreamProtocol} its messages.
 *
 * <p>A fork is created from its source's segment index and a copy of its hot messages up to the
 * fork offset: the fork's entity asks its source ({@link ForkFrom}) before it journals its
 * creation; it reads the source's segment objects itself, which stay while the fork exists (a
 * source with forks is only soft-deleted). Its offsets continue the source's.
 */
public final class DurableStream
    extends EventSourcedBehaviorWithEnforcedReplies<StreamProtocol.Command, StreamEvent, StreamState> {

  /** "Stream": the persistence ids of existing journals ({@code Stream|id}) keep it. */
  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Stream");
  public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
  public static final String REGISTRY_ID = RegistryOutbox.REGISTRY_ID;

  // ---- wiring ----

  /** {@code lake}: where segments go (blocking calls, run on {@link OffActor#DISPATCHER}). */
  public static void init(ActorSystem<?> system, StreamSettings settings, LakeAdapter lake) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(ENTITY_TYPE_KEY, entity -> create(entity.getEntityId(), settings, lake,
        id -> sharding.entityRefFor(ENTITY_TYPE_KEY, id))));
  }

  /** {@code streams}: how this stream reaches others (a fork's source, the registry). */
  public static Behavior<Command> create(String streamId, StreamSettings settings, LakeAdapter lake,
                                         StreamDirectory streams) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new DurableStream(streamId, settings, lake, streams, timers, context)));
  }

  /** Another stream's entity by id (sharded in a node; tests may resolve them otherwise). */
  @FunctionalInterface
  public interface StreamDirectory {
    RecipientRef<Command> stream(String id);
  }

  private static final Logger log = LoggerFactory.getLogger(DurableStream.class);

  private final String streamId;
  private final StreamSettings settings;
  private final StreamDirectory streams;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final AppendRule appendRule;
  private final StreamPaging paging;
  private final LiveReaders readers;
  private final SegmentTiering tiering;
  private final RegistryOutbox registry;
  private final AppendBatcher batcher;
  /** Reads keep a TTL stream alive too; they are not journaled, so this is lost with the entity. */
  private long lastReadMillis;
  /** Outlives a restart (this object is the behaviour's factory, kept across restarts). */
  private final WriteInFlight inFlight;

  private DurableStream(String streamId, StreamSettings settings, LakeAdapter lake, StreamDirectory streams,
                        TimerScheduler<Command> timers, ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), streamId), supervision(settings.journalBackoff()));
    this.streamId = streamId;
    this.settings = settings;
    this.streams = streams;
    this.context = context;
    this.timers = timers;
    this.appendRule = new AppendRule(settings.producerStateTtl());
    this.paging = new StreamPaging(settings.readMaxBytes());
    this.readers = new LiveReaders(timers, settings.longPollTimeout(), WaitsDue.INSTANCE);
    this.tiering = new SegmentTiering(streamId, settings, lake, OffActor.of(context.getSystem()), context);
    this.registry = new RegistryOutbox(streamId, streams.stream(REGISTRY_ID), settings, context, timers);
    this.batcher = new AppendBatcher(settings.appendBatch(), context.getSelf());
    this.inFlight = new WriteInFlight(streamId, context.getSelf());
  }

  /** After a journal failure the entity restarts (and recovers) with backoff, not at once in a loop. */
  private static org.apache.pekko.actor.typed.BackoffSupervisorStrategy supervision(Backoff backoff) {
    return SupervisorStrategy.restartWithBackoff(backoff.min(), backoff.max(), backoff.jitter());
  }

  /**
   * What {@link #emptyState()} returned. Pekko asks for the empty state once and starts every
   * recovery from that same object, also after a restart, and it applies an event before its write
   * succeeded: the state is mutable, so no event is applied to this one (the first works on a fresh
   * state), or a restart after a failed write would recover onto what that write had applied.
   */
  private StreamState initial;

  @Override
  public StreamState emptyState() {
    initial = new StreamState();
    return initial;
  }

  @Override
  public EventHandler<StreamState, StreamEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onAnyEvent((state, event) -> (state == initial ? new StreamState() : state).apply(event));
  }

  /** The state is mutable: the snapshot store, which serializes later on its own thread, gets a copy. */
  @Override
  public SnapshotAdapter<StreamState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(StreamState state) {
        return state.copy();
      }

      @Override
      public StreamState fromJournal(Object from) {
        return ((StreamState) from).recovered();
      }
    };
  }

  /** Right after a segment the hot tail is small: a cheap snapshot that spares recovery the sealed events. */
  @Override
  public boolean shouldSnapshot(StreamState state, StreamEvent event, long sequenceNr) {
    return event instanceof SegmentSealed;
  }

  /**
   * Pekko 1.2.1 deletes events only for the snapshots of a count-based retention ({@code shouldSnapshot}
   * snapshots delete nothing): so every {@code snapshotEveryEvents} events a snapshot, and the events
   * (and snapshots) before the previous such snapshot go.
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEveryEvents(), 1).withDeleteEventsOnSnapshot();
  }

  /**
   * A segment write or registry change interrupted by a crash or a hand-off starts again. After a
   * journal failure the restart cancelled every timer while the helpers kept their fields: their
   * backoffs start over, waiting readers are told to poll again, and the failed write's command
   * is answered, as are the appends of a batch not yet written (decided against the state before
   * the failure); what waited behind the failed write is let go.
   */
  @Override
  public SignalHandler<StreamState> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
      inFlight.recovered(batcher.take());
      if (batcher.waiting() > 0) {
        context.getSelf().tell(FlushAppends.INSTANCE);
      }
      readers.expireAll(after -> live(state) ? new TimedOut(state.meta(), after) : missing(state));
      tiering.recovered(state);
      registry.recovered(state);
    }).build();
  }

  /** Journals {@code events} for {@code command}; recovery answers it if the write fails. */
  private EffectBuilder<StreamEvent, StreamState> journal(Command command, List<StreamEvent> events) {
    inFlight.started(command);
    return Effect().persist(events).thenRun(after -> inFlight.done());
  }

  /** The same for one event (the append's path: no list). */
  private EffectBuilder<StreamEvent, StreamState> journal(Command command, StreamEvent event) {
    inFlight.started(command);
    return Effect().persist(event).thenRun(after -> inFlight.done());
  }

  @Override
  public CommandHandlerWithReply<Command, StreamEvent, StreamState> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, afterAppends(Create::replyTo, this::onCreate))
        .onCommand(ForkAnswered.class, afterAppends(answer -> answer.create().replyTo(), this::onForkAnswered))
        .onCommand(Append.class, this::onAppend)
        .onCommand(FlushAppends.class, flush -> onFlushAppends())
        .onCommand(Read.class, afterAppends(Read::replyTo, this::onRead))
        .onCommand(Head.class, afterAppends(Head::replyTo, (state, head) -> Effect().reply(head.replyTo(),
            live(state) ? new Described(state.meta()) : missing(state))))
        // A fork's notices change only the list of forks: they need not wait behind appends.
        .onCommand(AttachFork.class, this::onAttachFork)
        .onCommand(DetachFork.class, this::onDetachFork)
        .onCommand(Delete.class, afterAppends(Delete::replyTo, this::onDelete))
        .onCommand(ForkFrom.class, afterAppends(ForkFrom::replyTo, this::onForkFrom))
        .onCommand(WaitsDue.class, (state, due) -> {
          readers.expire(after -> live(state) ? new TimedOut(state.meta(), after) : notFound());
          return Effect().noReply();
        })
        .onCommand(SegmentWriteDone.class, this::onSegmentWriteDone)
        .onCommand(SealRetry.class, (state, retry) -> {
          tiering.retry(state);
          return Effect().noReply();
        })
        .onCommand(SegmentsLoaded.class, this::onSegmentsLoaded)
        .onCommand(RegistryAnswered.class, this::onRegistryAnswered)
        .onCommand(RegistryRetry.class, (state, retry) -> {
          registry.retry(state);
          return Effect().noReply();
        })
        .build();
  }

  /** {@code handler}, unless the command must wait behind a batch of appends ({@link AppendBatcher}). */
  private <C extends Command> BiFunction<StreamState, C, ReplyEffect<StreamEvent, StreamState>> afterAppends(
      Function<C, ActorRef<? super Refused>> replyTo, BiFunction<StreamState, C, ReplyEffect<StreamEvent, StreamState>> handler) {
    return (state, command) -> batcher.mustWait() ? waitBehindAppends(replyTo.apply(command)) : handler.apply(state, command);
  }

  /** Stashed until the batch's write unstashes it, unless too many wait already. */
  private ReplyEffect<StreamEvent, StreamState> waitBehindAppends(ActorRef<? super Refused> replyTo) {
    if (batcher.admitWaiting()) {
      return Effect().stash();
    }
    return Effect().reply(replyTo, Refused.of(Refusal.OVERLOADED, "stream " + streamId + " has "
        + batcher.waiting() + " requests waiting behind its appends; retry"));
  }

  /** A change that landed is journaled as recorded, unless it is no longer the outbox's head (an answer from before a restart). */
  private ReplyEffect<StreamEvent, StreamState> onRegistryAnswered(StreamState state, RegistryAnswered answer) {
    if (!registry.answered(answer)) {
      return Effect().noReply();
    }
    if (state.registryOutbox.isEmpty() || !state.registryOutbox.get(0).equals(answer.change())) {
      registry.sendNext(state);
      return Effect().noReply();
    }
    return Effect().persist(new RegistryRecorded(System.currentTimeMillis(), answer.change()))
        .thenRun(registry::sendNext).thenNoReply();
  }

  private boolean live(StreamState state) {
    return state.exists && !state.softDeleted && !state.expired(System.currentTimeMillis(), lastReadMillis);
  }

  /** Why a stream that is not live cannot be used: never created (or expired), or deleted with forks left. */
  private static Refused missing(StreamState state) {
    return state.exists && state.softDeleted ? Refused.of(Refusal.GONE, "stream was deleted") : notFound();
  }

  private static Refused notFound() {
    return Refused.of(Refusal.NOT_FOUND, "stream not found");
  }

  /** Whether this stream's creations and deletions go to the registry (not the registry's own). */
  private boolean recorded() {
    return settings.registry() && !REGISTRY_ID.equals(streamId);
  }

  // ---- create ----

  private ReplyEffect<StreamEvent, StreamState> onCreate(StreamState state, Create create) {
    ForkPoint fork = create.spec().fork();
    if (fork == null || state.exists && state.softDeleted) {
      return create(state, create, create.replyTo(), CreateRule.decide(state, live(state), create.spec(), null,
          recorded(), System.currentTimeMillis()));
    }
    // A fork asks its source first; the answer comes back as a message, handled in onForkAnswered.
    context.ask(ForkReply.class, streams.stream(fork.source()), settings.askTimeout(),
        replyTo -> new ForkFrom(fork, replyTo), (reply, error) -> new ForkAnswered(create, reply, error));
    return Effect().noReply();
  }

  private ReplyEffect<StreamEvent, StreamState> onForkAnswered(StreamState state, ForkAnswered answer) {
    ActorRef<CreateReply> replyTo = answer.create().replyTo();
    CreateSpec spec = answer.create().spec();
    if (answer.error() != null) {
      log.warn("stream {}: its fork source {} did not answer: {}", streamId, spec.fork().source(), answer.error().toString());
      return Effect().reply(replyTo, Refused.of(Refusal.UNAVAILABLE, "the fork source did not answer; retry"));
    }
    return create(state, answer, replyTo, CreateRule.decideFork(state, live(state), spec, answer.reply(), recorded(),
        System.currentTimeMillis()));
  }

  /** Journals the creation {@code command} was decided to; then the old stream's objects go and its fork source learns of it. */
  private ReplyEffect<StreamEvent, StreamState> create(StreamState state, Command command, ActorRef<CreateReply> replyTo,
                                                       CreateRule.Decision decision) {
    if (decision instanceof CreateRule.Answer answer) {
      return Effect().reply(replyTo, answer.reply());
    }
    List<StreamEvent> events = ((CreateRule.Write) decision).events();
    ForkPoint previousFork = state.exists ? state.fork : null;
    List<String> expiredSegments = tiering.ownKeys(state);
    lastReadMillis = System.currentTimeMillis();
    return journal(command, events)
        .thenRun(after -> {
          wake(after);
          tiering.delete(expiredSegments);
          tiering.sealIfDue(after);
          registry.sendNext(after);
          if (previousFork != null) {
            streams.stream(previousFork.source()).tell(new DetachFork(streamId));
          }
          if (after.fork != null) {
            streams.stream(after.fork.source()).tell(new AttachFork(streamId));
          }
        })
        .thenReply(replyTo, after -> new Created(after.meta(), true));
  }

  // ---- append and close ----

  private ReplyEffect<StreamEvent, StreamState> onAppend(StreamState state, Append append) {
    AppendSpec spec = append.spec();
    ActorRef<AppendReply> replyTo = append.replyTo();
    if (batcher.mustWait(spec)) {
      return waitBehindAppends(replyTo);
    }
    // From here on a batch is open only if this append is plain: it decides against the state the batch leaves.
    if (!live(state)) {
      return Effect().reply(replyTo, missing(state));
    }
    AppendRule.Decision decision = appendRule.decide(state, spec, batcher, System.currentTimeMillis());
    if (decision instanceof AppendRule.Answer answer) {
      return Effect().reply(replyTo, answer.reply());
    }
    if (decision instanceof AppendRule.WaitForBatch) {
      return waitBehindAppends(replyTo);
    }
    if (decision instanceof AppendRule.Close close) {
      return journal(append, close.event())
          .thenRun(this::wake)
          .thenReply(replyTo, after -> new Appended(after.tail, true));
    }
    MessageAppended appended = ((AppendRule.Take) decision).event();
    if (AppendBatcher.batchable(spec)) {
      batcher.add(appended, replyTo);
      return Effect().noReply();
    }
    return journal(append, appended)
        .thenRun(this::appended)
        .thenReply(replyTo, after -> new Appended(appended.message().offset(), after.closed));
  }

  /** One write for the open batch; each append is answered as it would have been alone, then what waited goes. */
  private ReplyEffect<StreamEvent, StreamState> onFlushAppends() {
    AppendBatch batch = batcher.take();
    if (batch == null) {
      batcher.unstashing();
      return Effect().noReply().thenUnstashAll(); // its batch was refused at a restart
    }
    return journal(batch, Collections.unmodifiableList(batch.events()))
        .thenRun(after -> {
          for (int i = 0; i < batch.events().size(); i++) {
            batch.replyTo().get(i).tell(new Appended(batch.events().get(i).message().offset(), after.closed));
          }
          appended(after);
          batcher.unstashing(); // not before: after a failed write the stash stays until recovery lets it go
        })
        .thenNoReply()
        .thenUnstashAll();
  }

  private void appended(StreamState after) {
    wake(after);
    tiering.sealIfDue(after);
  }

  // ---- reads and live readers ----

  private ReplyEffect<StreamEvent, StreamState> onRead(StreamState state, Read read) {
    if (!live(state)) {
      return Effect().reply(read.replyTo(), missing(state));
    }
    lastReadMillis = System.currentTimeMillis();
    String after = switch (read.offset()) {
      case Offsets.NOW -> state.tail;
      case Offsets.BEGINNING -> null;
      default -> Offsets.canonical(read.offset());
    };
    if (Offsets.NOW.equals(read.offset()) && !read.live()) {
      return Effect().reply(read.replyTo(), new Chunk(state.meta(), List.of(), state.tail, true, state.closed));
    }
    int cold = state.firstSegmentAfter(after);
    if (cold >= 0) {
      List<Segment> needed = paging.segmentsFor(state, cold);
      if (!tiering.allLoaded(needed)) {
        tiering.load(needed, read);
        return Effect().noReply();
      }
      return Effect().reply(read.replyTo(), paging.cold(state, needed, tiering.loaded(), after));
    }
    Chunk chunk = paging.hot(state, after);
    // Only a reader that is caught up waits; one behind (or at -1 of an empty stream) learns the tail first.
    boolean caughtUp = after != null && after.equals(state.tail);
    if (chunk.messages().isEmpty() && read.live() && caughtUp && !state.closed) {
      readers.await(after, read.replyTo());
      return Effect().noReply();
    }
    return Effect().reply(read.replyTo(), chunk);
  }

  /** After a write: answer every waiting reader that now has something (data, a close, or a stream gone). */
  private void wake(StreamState state) {
    if (readers.waiting() == 0) {
      return; // the usual append: nobody waits, nothing to allocate
    }
    readers.wake(state, after -> paging.hot(state, after), live(state) ? null : missing(state));
  }

  // ---- delete and fork ----

  private ReplyEffect<StreamEvent, StreamState> onDelete(StreamState state, Delete delete) {
    if (!live(state)) {
      return Effect().reply(delete.replyTo(), missing(state));
    }
    long now = System.currentTimeMillis();
    List<StreamEvent> deletion = new ArrayList<>(2);
    deletion.add(state.forks.isEmpty() ? new StreamDeleted(now) : new StreamSoftDeleted(now));
    if (recorded()) {
      deletion.add(new RegistryChange(false, null, now));
    }
    if (!state.forks.isEmpty()) {
      return journal(delete, deletion)
          .thenRun(after -> {
            wake(after);
            registry.sendNext(after);
          })
          .thenReply(delete.replyTo(), after -> new Deleted());
    }
    return deleteNow(state, delete, deletion).thenReply(delete.replyTo(), after -> new Deleted());
  }

  /** Deletes for good, and lets the source (if this is a fork) go when this was its last fork. */
  private EffectBuilder<StreamEvent, StreamState> deleteNow(StreamState state, Command command,
                                                            List<StreamEvent> events) {
    ForkPoint fork = state.fork;
    List<String> segments = tiering.ownKeys(state);
    return journal(command, events)
        .thenRun(after -> {
          wake(after);
          tiering.delete(segments);
          registry.sendNext(after);
          if (fork != null) {
            streams.stream(fork.source()).tell(new DetachFork(streamId));
          }
        });
  }

  private ReplyEffect<StreamEvent, StreamState> onAttachFork(StreamState state, AttachFork attach) {
    if (!state.exists || state.forks.contains(attach.fork())) {
      return Effect().noReply();
    }
    return journal(attach, new ForkAttached(attach.fork())).thenNoReply();
  }

  private ReplyEffect<StreamEvent, StreamState> onDetachFork(StreamState state, DetachFork detach) {
    if (!state.exists || !state.forks.contains(detach.fork())) {
      return Effect().noReply();
    }
    if (state.softDeleted && state.forks.size() == 1) {
      // The last reader of a deleted stream is gone: now it goes too (and may free its own source).
      return deleteNow(state, detach, List.of(new ForkDetached(detach.fork()), new StreamDeleted(System.currentTimeMillis())))
          .thenNoReply();
    }
    return journal(detach, new ForkDetached(detach.fork())).thenNoReply();
  }

  private ReplyEffect<StreamEvent, StreamState> onForkFrom(StreamState state, ForkFrom fork) {
    if (!live(state)) {
      return Effect().reply(fork.replyTo(), missing(state));
    }
    Optional<Segment> toCut = ForkCut.segmentToCut(state, fork.point());
    if (toCut.isPresent() && tiering.loaded(toCut.get()) == null) {
      tiering.load(List.of(toCut.get()), fork);
      return Effect().noReply();
    }
    return Effect().reply(fork.replyTo(), ForkCut.cut(state, fork.point(), toCut.map(tiering::loaded).orElse(null)));
  }

  // ---- cold segments ----

  private ReplyEffect<StreamEvent, StreamState> onSegmentWriteDone(StreamState state, SegmentWriteDone done) {
    if (done.error() != null) {
      timers.startSingleTimer(SealRetry.INSTANCE, tiering.failed(done.segment(), done.error()));
      return Effect().noReply();
    }
    if (!tiering.written(state, done.segment())) {
      tiering.sealIfDue(state);
      return Effect().noReply();
    }
    return Effect().persist(new SegmentSealed(done.segment())).thenRun(tiering::sealIfDue).thenNoReply();
  }

  private ReplyEffect<StreamEvent, StreamState> onSegmentsLoaded(StreamState state, SegmentsLoaded done) {
    if (done.error() != null) {
      log.error("stream {}: cannot read its segments: {}", streamId, done.error().toString());
      Refused unavailable = Refused.of(Refusal.UNAVAILABLE, "part of the stream cannot be read now");
      return done.then() instanceof Read reader ? Effect().reply(reader.replyTo(), unavailable)
          : Effect().reply(((ForkFrom) done.then()).replyTo(), unavailable);
    }
    tiering.keep(done);
    return done.then() instanceof Read reader ? onRead(state, reader) : onForkFrom(state, (ForkFrom) done.then());
  }
}
