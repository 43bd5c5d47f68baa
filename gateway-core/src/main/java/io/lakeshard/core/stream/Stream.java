package io.lakeshard.core.stream;

import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeException;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.paging.Pages;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
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
 * crash. The entity also holds the stream's live readers: a long-poll (or an SSE connection
 * between appends) that is caught up waits here and is answered by the next append, close or
 * delete, or by its timer.
 *
 * <p>Only the hot tail is in memory: once it passes {@link StreamSettings#segmentBytes()} its oldest
 * messages are written (off the actor) to the lake as an immutable {@link StreamSegment}, and only
 * once that object is durable does {@link SegmentSealed} add it to the segment index and drop the
 * messages from memory; a failed write is retried with backoff while appends go on. Reads from an
 * offset inside a segment load the segments a page needs off the actor (and keep them for the next
 * page) and are answered when they arrive. Snapshots (hot tail and index) are taken after each segment and every
 * {@link StreamSettings#snapshotEveryEvents()} events, deleting the events before them, so the
 * journal holds the hot tail and the index, not the stream's history.
 *
 * <p>A fork is created from its source's segment index and a copy of its hot messages up to the
 * fork offset (obtained from the source with {@link ForkFrom}); it reads the source's segment
 * objects itself, which stay while the fork exists (a source with forks is only soft-deleted).
 * Its offsets continue the source's.
 */
public final class Stream extends EventSourcedBehaviorWithEnforcedReplies<Stream.Command, Stream.Event, Stream.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Stream");
  public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /** An idempotent producer's write: {@code seq} counts from 0 within an {@code epoch}. */
  public record Producer(String id, long epoch, long seq) implements CborSerializable {}

  /** A message and the offset after it (what a reader resumes from). */
  public record Message(String offset, byte[] data) implements CborSerializable {}

  /**
   * A segment index entry: the object at {@code key} holds {@code count} messages ({@code bytes}
   * stored bytes), of which this stream reads those from offset {@code first} to {@code last}
   * (a fork that forked inside its source's segment reads only up to its fork offset).
   */
  public record Segment(long seq, String key, String first, String last, long bytes, int count)
      implements CborSerializable {}

  /**
   * What a PUT asks for. {@code contentType} null: the default, or the source's for a fork;
   * {@code fork} null: a plain stream.
   */
  public record CreateSpec(String contentType, Long ttlSeconds, String expiresAt, boolean closed, byte[] body,
                           ForkPoint fork) implements CborSerializable {}

  /** Fork {@code source} at {@code offset} (null: its tail), plus {@code subOffset} bytes or JSON values into the next message. */
  public record ForkPoint(String source, String offset, int subOffset) implements CborSerializable {}

  /** {@code base}: the source's answer to {@link ForkFrom} when the spec is a fork, else null. */
  public record Create(CreateSpec spec, ForkBase base, ActorRef<CreateReply> replyTo) implements Command {}

  /** {@code contentType} as the request carried it (null when it had none). */
  public record AppendSpec(byte[] data, String contentType, String seq, Producer producer, boolean close)
      implements CborSerializable {}

  public record Append(AppendSpec spec, ActorRef<AppendReply> replyTo) implements Command {}

  /**
   * Read after {@code offset} ({@link Offsets#BEGINNING}, {@link Offsets#NOW} or an offset); when
   * {@code live} and there is nothing yet, the reply waits for an append or the long-poll timeout.
   */
  public record Read(String offset, boolean live, ActorRef<ReadReply> replyTo) implements Command {}

  public record Head(ActorRef<HeadReply> replyTo) implements Command {}

  public record Delete(ActorRef<DeleteReply> replyTo) implements Command {}

  /** Asked of a fork's source: its messages up to the fork point. */
  public record ForkFrom(ForkPoint point, ActorRef<ForkReply> replyTo) implements Command {}

  /** From a fork once it exists: the source keeps its forks, and outlives its deletion while it has any. */
  public record AttachFork(String fork) implements Command {}

  /** From a fork once deleted: a deleted source goes when its last fork does. */
  public record DetachFork(String fork) implements Command {}

  /** A live read's timer. */
  private record WaitExpired(long waiter) implements Command, NoSerializationVerificationNeeded {}

  /** The lake has the segment's object: now it may join the index. */
  private record SegmentWritten(Segment segment) implements Command, NoSerializationVerificationNeeded {}

  private record SegmentWriteFailed(Segment segment, Throwable error) implements Command, NoSerializationVerificationNeeded {}

  /** The end of a failed segment write's backoff. */
  private enum SealRetry implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /**
   * Segments read for {@code then} (a read or a fork), which is handled again now that the
   * {@code needed} ones are here: {@code read} (those that were not loaded yet) with their messages.
   */
  private record SegmentsLoaded(List<Segment> needed, Map<Segment, List<Message>> read, Throwable error, Command then)
      implements Command, NoSerializationVerificationNeeded {}

  public record Meta(String contentType, String tail, boolean closed, Long ttlSeconds, String expiresAt)
      implements CborSerializable {}

  public sealed interface CreateReply extends CborSerializable {}

  public sealed interface AppendReply extends CborSerializable {}

  public sealed interface ReadReply extends CborSerializable {}

  public sealed interface HeadReply extends CborSerializable {}

  public sealed interface DeleteReply extends CborSerializable {}

  public sealed interface ForkReply extends CborSerializable {}

  public record Created(Meta meta, boolean isNew) implements CreateReply {}

  /** Appended (or closed); {@code offset} is the new tail. */
  public record Appended(String offset, boolean closed) implements AppendReply {}

  /** A producer's retry of a write already journaled: acknowledged, nothing written. */
  public record Duplicate(String offset, boolean closed, long epoch, long lastSeq) implements AppendReply {}

  /**
   * {@code messages} after the requested offset; {@code next} is where to read on;
   * {@code closedAtTail}: the stream is closed and the reader has everything.
   */
  public record Chunk(Meta meta, List<Message> messages, String next, boolean upToDate, boolean closedAtTail)
      implements ReadReply {}

  /** A live read found nothing new before its timeout. */
  public record TimedOut(Meta meta, String offset) implements ReadReply {}

  public record Described(Meta meta) implements HeadReply {}

  public record Deleted() implements DeleteReply {}

  /** The source's side of a fork: its settings, segments and hot messages up to {@code forkOffset}. */
  public record ForkBase(Meta source, String forkOffset, int subOffset, List<Segment> segments, List<Message> messages)
      implements ForkReply {}

  public enum Refusal {
    NOT_FOUND,
    /** Deleted while forks still read from it: gone for clients, and its id cannot be reused yet. */
    GONE,
    /** PUT on an existing stream with another configuration. */
    CONFLICT,
    INVALID,
    CONTENT_TYPE_MISMATCH,
    /** No usable Content-Type on an append with a body. */
    CONTENT_TYPE_MISSING,
    STREAM_CLOSED,
    /** Stream-Seq not above the last one. */
    SEQ_CONFLICT,
    STALE_EPOCH,
    /** A new producer epoch must start at seq 0. */
    EPOCH_SEQ,
    SEQ_GAP,
    /** A segment of the stream could not be read from the lake (the reader may retry). */
    UNAVAILABLE
  }

  /** Any refusal; the numbers matter only for the producer refusals, {@code tail} for STREAM_CLOSED. */
  public record Refused(Refusal reason, String message, String tail, long currentEpoch, long expectedSeq,
                        long receivedSeq) implements CreateReply, AppendReply, ReadReply, HeadReply, DeleteReply,
      ForkReply {
    static Refused of(Refusal reason, String message) {
      return new Refused(reason, message, null, 0, 0, 0);
    }
  }

  // ---- events ----

  public sealed interface Event extends CborSerializable {}

  /**
   * The stream exists from {@code start} (zero, or a fork's offset) with a fork's inherited
   * {@code segments} and hot {@code messages} (inherited and initial).
   */
  public record StreamCreated(String contentType, Long ttlSeconds, String expiresAt, boolean closed, ForkPoint fork,
                              String start, List<Segment> segments, List<Message> messages, long atMillis)
      implements Event {}

  public record MessageAppended(Message message, String seq, Producer producer, boolean close, long atMillis)
      implements Event {}

  public record StreamClosed(Producer producer, long atMillis) implements Event {}

  public record StreamDeleted(long atMillis) implements Event {}

  /** Deleted by a client while it has forks: kept for them, gone for everyone else. */
  public record StreamSoftDeleted(long atMillis) implements Event {}

  public record ForkAttached(String fork) implements Event {}

  public record ForkDetached(String fork) implements Event {}

  /** The segment's object is durable in the lake: its messages leave the hot tail. */
  public record SegmentSealed(Segment segment) implements Event {}

  // ---- state ----

  record ProducerState(long epoch, long lastSeq, long updatedMillis) {}

  /** The state as a snapshot holds it. */
  record Snapshot(boolean exists, String contentType, Long ttlSeconds, String expiresAt, boolean closed,
                  Producer closedBy, ForkPoint fork, List<Segment> segments, List<Message> messages, String tail,
                  String lastSeq, Map<String, ProducerState> producers, long lastWriteMillis, List<String> forks,
                  boolean softDeleted, long nextSegmentSeq) implements CborSerializable {}

  /** The stream as the journal has it; replaced wholesale by create and delete. */
  static final class State {
    boolean exists;
    String contentType;
    Long ttlSeconds;
    String expiresAt;
    Long expiresAtMillis;
    boolean closed;
    Producer closedBy;
    ForkPoint fork;
    /** The segment index: the cold part of the stream, in offset order, before {@link #messages}. */
    final List<Segment> segments = new ArrayList<>();
    /** The hot tail. */
    final List<Message> messages = new ArrayList<>();
    long hotBytes;
    String tail = Offsets.ZERO;
    String lastSeq;
    final Map<String, ProducerState> producers = new LinkedHashMap<>();
    long lastWriteMillis;
    final Set<String> forks = new TreeSet<>();
    boolean softDeleted;
    /** Never reused, not even by a new stream under the same id: a segment key names one content. */
    long nextSegmentSeq;

    Snapshot toSnapshot() {
      return new Snapshot(exists, contentType, ttlSeconds, expiresAt, closed, closedBy, fork, List.copyOf(segments),
          List.copyOf(messages), tail, lastSeq, new LinkedHashMap<>(producers), lastWriteMillis, List.copyOf(forks),
          softDeleted, nextSegmentSeq);
    }

    static State fromSnapshot(Snapshot snapshot) {
      State state = new State();
      state.exists = snapshot.exists();
      state.contentType = snapshot.contentType();
      state.ttlSeconds = snapshot.ttlSeconds();
      state.setExpiresAt(snapshot.expiresAt());
      state.closed = snapshot.closed();
      state.closedBy = snapshot.closedBy();
      state.fork = snapshot.fork();
      state.segments.addAll(snapshot.segments());
      snapshot.messages().forEach(state::addHot);
      state.tail = snapshot.tail();
      state.lastSeq = snapshot.lastSeq();
      state.producers.putAll(snapshot.producers());
      state.lastWriteMillis = snapshot.lastWriteMillis();
      state.forks.addAll(snapshot.forks());
      state.softDeleted = snapshot.softDeleted();
      state.nextSegmentSeq = snapshot.nextSegmentSeq();
      return state;
    }

    /** The offset after the last message: a stream's tail is its last hot message, else its last segment, else its start. */
    static String tailOf(String start, List<Segment> segments, List<Message> messages) {
      if (!messages.isEmpty()) {
        return messages.get(messages.size() - 1).offset();
      }
      return segments.isEmpty() ? start : segments.get(segments.size() - 1).last();
    }

    Meta meta() {
      return new Meta(contentType, tail, closed, ttlSeconds, expiresAt);
    }

    boolean expired(long now, long lastReadMillis) {
      if (expiresAtMillis != null && now >= expiresAtMillis) {
        return true;
      }
      return ttlSeconds != null && now >= Math.max(lastWriteMillis, lastReadMillis) + ttlSeconds * 1000;
    }

    /** Index of the first segment holding a message after {@code offset} (null: the beginning), or -1: it is hot. */
    int firstSegmentAfter(String offset) {
      for (int i = 0; i < segments.size(); i++) {
        if (offset == null || segments.get(i).last().compareTo(offset) > 0) {
          return i;
        }
      }
      return -1;
    }

    /** Index of the first hot message after {@code offset} (null: the beginning). */
    int firstAfter(String offset) {
      if (offset == null) {
        return 0;
      }
      return Pages.firstAfter(messages, message -> message.offset().compareTo(offset));
    }

    State apply(Event event) {
      if (event instanceof StreamCreated created) {
          reset();
          exists = true;
          contentType = created.contentType();
          ttlSeconds = created.ttlSeconds();
          setExpiresAt(created.expiresAt());
          closed = created.closed();
          fork = created.fork();
          // Journaled before segments existed: no segments.
          List<Segment> inherited = created.segments() == null ? List.of() : created.segments();
          segments.addAll(inherited);
          created.messages().forEach(this::addHot);
          tail = tailOf(created.start(), inherited, created.messages());
          lastWriteMillis = created.atMillis();
      } else if (event instanceof MessageAppended appended) {
          addHot(appended.message());
          tail = appended.message().offset();
          if (appended.seq() != null) {
            lastSeq = appended.seq();
          }
          recordProducer(appended.producer(), appended.atMillis());
          if (appended.close()) {
            closed = true;
            closedBy = appended.producer();
          }
          lastWriteMillis = appended.atMillis();
      } else if (event instanceof StreamClosed close) {
          recordProducer(close.producer(), close.atMillis());
          closed = true;
          closedBy = close.producer();
          lastWriteMillis = close.atMillis();
      } else if (event instanceof StreamDeleted) {
        reset();
        // A segment write still under way for the deleted stream must not land under a key the next one uses.
        nextSegmentSeq++;
      } else if (event instanceof SegmentSealed sealed) {
        Segment segment = sealed.segment();
        segments.add(segment);
        List<Message> sealedMessages = messages.subList(0, firstAfter(segment.last()));
        sealedMessages.forEach(message -> hotBytes -= message.data().length);
        sealedMessages.clear();
        nextSegmentSeq = segment.seq() + 1;
      } else if (event instanceof StreamSoftDeleted) {
        softDeleted = true;
      } else if (event instanceof ForkAttached attached) {
        forks.add(attached.fork());
      } else if (event instanceof ForkDetached detached) {
        forks.remove(detached.fork());
      }
      return this;
    }

    private void addHot(Message message) {
      messages.add(message);
      hotBytes += message.data().length;
    }

    private void setExpiresAt(String value) {
      expiresAt = value;
      expiresAtMillis = value == null ? null : parseExpiresAt(value).map(Instant::toEpochMilli).orElse(0L);
    }

    private void recordProducer(Producer producer, long atMillis) {
      if (producer != null) {
        producers.put(producer.id(), new ProducerState(producer.epoch(), producer.seq(), atMillis));
      }
    }

    private void reset() {
      exists = false;
      contentType = null;
      ttlSeconds = null;
      expiresAt = null;
      expiresAtMillis = null;
      closed = false;
      closedBy = null;
      fork = null;
      segments.clear();
      messages.clear();
      hotBytes = 0;
      tail = Offsets.ZERO;
      lastSeq = null;
      producers.clear();
      forks.clear();
      softDeleted = false;
    }
  }

  // ---- wiring ----

  /** {@code lake}: where segments go (blocking calls, run on {@link OffActor#DISPATCHER}). */
  public static void init(ActorSystem<?> system, StreamSettings settings, LakeAdapter lake) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, entity -> create(entity.getEntityId(), settings, lake)));
  }

  public static Behavior<Command> create(String streamId, StreamSettings settings, LakeAdapter lake) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new Stream(streamId, settings, lake, timers, context)));
  }

  /** Stream-Expires-At: an RFC 3339 / ISO 8601 timestamp with zone (or an HTTP date). */
  public static Optional<Instant> parseExpiresAt(String value) {
    for (DateTimeFormatter format : List.of(DateTimeFormatter.ISO_OFFSET_DATE_TIME, DateTimeFormatter.ISO_ZONED_DATE_TIME)) {
      try {
        return Optional.of(OffsetDateTime.parse(value, format).toInstant());
      } catch (DateTimeParseException ignored) {
        // next format
      }
    }
    try {
      return Optional.of(ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private record Waiter(String after, ActorRef<ReadReply> replyTo) {}

  private static final Logger log = LoggerFactory.getLogger(Stream.class);
  private static final Object SEAL_RETRY_TIMER = SealRetry.INSTANCE;

  private final String streamId;
  private final StreamSettings settings;
  private final LakeAdapter lake;
  private final Executor lakeExecutor;
  private final TimerScheduler<Command> timers;
  private final ActorContext<Command> context;
  private final ActorSystem<?> system;
  /** The segment being written; one at a time. */
  private Segment sealing;
  /** Failed segment writes in a row; while the retry timer runs, no new write starts. */
  private int sealFailures;
  /** The segments the last cold page needed, with their messages: the next page usually starts in them. */
  private Map<Segment, List<Message>> loaded = Map.of();
  /** Caught-up live readers by id; answered by the next append, close or delete, or their timer. */
  private final Map<Long, Waiter> waiters = new LinkedHashMap<>();
  private long nextWaiter;
  /** Reads keep a TTL stream alive too; they are not journaled, so this is lost with the entity. */
  private long lastReadMillis;

  private Stream(String streamId, StreamSettings settings, LakeAdapter lake, TimerScheduler<Command> timers,
                 ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), streamId));
    this.streamId = streamId;
    this.settings = settings;
    this.lake = lake;
    this.lakeExecutor = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(OffActor.DISPATCHER));
    this.timers = timers;
    this.context = context;
    this.system = context.getSystem();
  }

  /** Another stream's entity (a fork's source); only forks talk to other streams. */
  private void tellStream(String id, Command command) {
    ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, id).tell(command);
  }

  @Override
  public State emptyState() {
    return new State();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.toSnapshot();
      }

      @Override
      public State fromJournal(Object from) {
        return State.fromSnapshot((Snapshot) from);
      }
    };
  }

  /** Right after a segment the hot tail is small: a cheap snapshot that spares recovery the sealed events. */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
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

  /** A write interrupted by a crash or a hand-off starts again (same key, same content). */
  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::seal).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Append.class, this::onAppend)
        .onCommand(Read.class, this::onRead)
        .onCommand(Head.class, (state, head) -> Effect().reply(head.replyTo(),
            live(state) ? new Described(state.meta()) : missing(state)))
        .onCommand(AttachFork.class, this::onAttachFork)
        .onCommand(DetachFork.class, this::onDetachFork)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(ForkFrom.class, this::onForkFrom)
        .onCommand(WaitExpired.class, this::onWaitExpired)
        .onCommand(SegmentWritten.class, this::onSegmentWritten)
        .onCommand(SegmentWriteFailed.class, this::onSegmentWriteFailed)
        .onCommand(SealRetry.class, (state, retry) -> {
          seal(state);
          return Effect().noReply();
        })
        .onCommand(SegmentsLoaded.class, this::onSegmentsLoaded)
        .build();
  }

  private boolean live(State state) {
    return state.exists && !state.softDeleted && !state.expired(System.currentTimeMillis(), lastReadMillis);
  }

  /** Why a stream that is not live cannot be used: never created (or expired), or deleted with forks left. */
  private static Refused missing(State state) {
    return state.exists && state.softDeleted ? Refused.of(Refusal.GONE, "stream was deleted") : notFound();
  }

  private static Refused notFound() {
    return Refused.of(Refusal.NOT_FOUND, "stream not found");
  }

  // ---- create ----

  private ReplyEffect<Event, State> onCreate(State state, Create create) {
    CreateSpec spec = create.spec();
    if (state.exists && state.softDeleted) {
      return Effect().reply(create.replyTo(),
          Refused.of(Refusal.CONFLICT, "stream was deleted but forks still read from it; its id is not free yet"));
    }
    if (live(state)) {
      return Effect().reply(create.replyTo(), sameConfig(state, spec, create.base())
          ? new Created(state.meta(), false)
          : Refused.of(Refusal.CONFLICT, "stream exists with another configuration"));
    }
    String contentType = spec.contentType() != null ? spec.contentType()
        : create.base() != null ? create.base().source().contentType() : DEFAULT_CONTENT_TYPE;
    List<Segment> segments = create.base() != null ? create.base().segments() : List.of();
    List<Message> messages = new ArrayList<>();
    String start = Offsets.ZERO;
    if (create.base() != null) {
      messages.addAll(create.base().messages());
      start = create.base().forkOffset();
    }
    String tail = State.tailOf(start, segments, messages);
    if (spec.body() != null && spec.body().length > 0) {
      byte[] stored = spec.body();
      if (JsonMode.isJson(contentType)) {
        try {
          stored = JsonMode.normalize(spec.body(), true);
        } catch (JsonMode.InvalidJson e) {
          return Effect().reply(create.replyTo(), Refused.of(Refusal.INVALID, e.getMessage()));
        }
      }
      if (stored.length > 0) {
        messages.add(new Message(Offsets.next(tail, stored.length), stored));
      }
    }
    long now = System.currentTimeMillis();
    StreamCreated created = new StreamCreated(contentType, spec.ttlSeconds(), spec.expiresAt(), spec.closed(),
        spec.fork(), start, segments, messages, now);
    // An expired stream is still in the journal: drop it first so nothing of it survives recovery.
    List<Event> events = state.exists ? List.of(new StreamDeleted(now), created) : List.of(created);
    ForkPoint previousFork = state.exists ? state.fork : null;
    List<String> expiredSegments = ownSegmentKeys(state);
    lastReadMillis = now;
    return Effect().persist(events)
        .thenRun(after -> {
          wake(after);
          deleteObjects(expiredSegments);
          seal(after);
          if (previousFork != null) {
            tellStream(previousFork.source(), new DetachFork(streamId));
          }
          if (spec.fork() != null) {
            tellStream(spec.fork().source(), new AttachFork(streamId));
          }
        })
        .thenReply(create.replyTo(), after -> new Created(after.meta(), true));
  }

  private static boolean sameConfig(State state, CreateSpec spec, ForkBase base) {
    String wanted = spec.contentType() != null ? spec.contentType()
        : base != null ? base.source().contentType() : DEFAULT_CONTENT_TYPE;
    ForkPoint fork = spec.fork();
    boolean sameFork = fork == null ? state.fork == null
        : state.fork != null && fork.source().equals(state.fork.source())
            && (fork.offset() == null || state.fork.offset() == null
                || Offsets.canonical(fork.offset()).equals(Offsets.canonical(state.fork.offset())))
            && fork.subOffset() == state.fork.subOffset();
    return JsonMode.mediaType(wanted).equals(JsonMode.mediaType(state.contentType))
        && Objects.equals(spec.ttlSeconds(), state.ttlSeconds)
        && Objects.equals(spec.expiresAt(), state.expiresAt)
        && spec.closed() == state.closed
        && sameFork;
  }

  // ---- append and close ----

  private ReplyEffect<Event, State> onAppend(State state, Append append) {
    AppendSpec spec = append.spec();
    ActorRef<AppendReply> replyTo = append.replyTo();
    if (!live(state)) {
      return Effect().reply(replyTo, missing(state));
    }
    boolean closeOnly = spec.close() && spec.data().length == 0;
    if (state.closed) {
      Producer by = state.closedBy;
      if (spec.producer() != null && spec.producer().equals(by)) {
        return Effect().reply(replyTo, new Duplicate(state.tail, true, by.epoch(), by.seq()));
      }
      if (closeOnly && spec.producer() == null) {
        return Effect().reply(replyTo, new Appended(state.tail, true));
      }
      return Effect().reply(replyTo, new Refused(Refusal.STREAM_CLOSED, "stream is closed", state.tail, 0, 0, 0));
    }
    if (!closeOnly) {
      if (spec.data().length == 0) {
        return Effect().reply(replyTo, Refused.of(Refusal.INVALID, "empty body"));
      }
      String sent = JsonMode.mediaType(spec.contentType());
      if (sent.isEmpty()) {
        return Effect().reply(replyTo, Refused.of(Refusal.CONTENT_TYPE_MISSING, "Content-Type " + state.contentType + " required"));
      }
      if (!sent.equals(JsonMode.mediaType(state.contentType))) {
        return Effect().reply(replyTo, Refused.of(Refusal.CONTENT_TYPE_MISMATCH, "stream has content type " + state.contentType));
      }
    }
    if (spec.producer() != null) {
      AppendReply refusal = checkProducer(state, spec.producer());
      if (refusal != null) {
        return Effect().reply(replyTo, refusal);
      }
    }
    long now = System.currentTimeMillis();
    if (closeOnly) {
      return Effect().persist(new StreamClosed(spec.producer(), now))
          .thenRun(this::wake)
          .thenReply(replyTo, after -> new Appended(after.tail, true));
    }
    if (spec.seq() != null && state.lastSeq != null && spec.seq().compareTo(state.lastSeq) <= 0) {
      return Effect().reply(replyTo, Refused.of(Refusal.SEQ_CONFLICT,
          "Stream-Seq " + spec.seq() + " is not above " + state.lastSeq));
    }
    byte[] stored = spec.data();
    if (JsonMode.isJson(state.contentType)) {
      try {
        stored = JsonMode.normalize(spec.data(), false);
      } catch (JsonMode.InvalidJson e) {
        return Effect().reply(replyTo, Refused.of(Refusal.INVALID, e.getMessage()));
      }
    }
    Message message = new Message(Offsets.next(state.tail, stored.length), stored);
    return Effect().persist(new MessageAppended(message, spec.seq(), spec.producer(), spec.close(), now))
        .thenRun(after -> {
          wake(after);
          seal(after);
        })
        .thenReply(replyTo, after -> new Appended(message.offset(), after.closed));
  }

  /** Kafka-style idempotent producer check; null when the write is the next one expected. */
  private AppendReply checkProducer(State state, Producer producer) {
    ProducerState known = state.producers.get(producer.id());
    if (known != null && System.currentTimeMillis() - known.updatedMillis() > settings.producerStateTtl().toMillis()) {
      known = null;
    }
    if (known == null) {
      return producer.seq() == 0 ? null
          : new Refused(Refusal.SEQ_GAP, "producer sequence gap", null, 0, 0, producer.seq());
    }
    if (producer.epoch() < known.epoch()) {
      return new Refused(Refusal.STALE_EPOCH, "stale producer epoch", null, known.epoch(), 0, 0);
    }
    if (producer.epoch() > known.epoch()) {
      return producer.seq() == 0 ? null : Refused.of(Refusal.EPOCH_SEQ, "a new epoch must start at sequence 0");
    }
    if (producer.seq() <= known.lastSeq()) {
      return new Duplicate(state.tail, state.closed, known.epoch(), known.lastSeq());
    }
    if (producer.seq() == known.lastSeq() + 1) {
      return null;
    }
    return new Refused(Refusal.SEQ_GAP, "producer sequence gap", null, 0, known.lastSeq() + 1, producer.seq());
  }

  // ---- reads and live readers ----

  private ReplyEffect<Event, State> onRead(State state, Read read) {
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
      List<Segment> needed = pageSegments(state, cold);
      return loaded.keySet().containsAll(needed) ? Effect().reply(read.replyTo(), coldChunk(state, needed, after))
          : load(needed, read);
    }
    Chunk chunk = chunk(state, after);
    // Only a reader that is caught up waits; one behind (or at -1 of an empty stream) learns the tail first.
    boolean caughtUp = after != null && after.equals(state.tail);
    if (chunk.messages().isEmpty() && read.live() && caughtUp && !state.closed) {
      long id = nextWaiter++;
      waiters.put(id, new Waiter(after, read.replyTo()));
      timers.startSingleTimer(id, new WaitExpired(id), settings.longPollTimeout());
      return Effect().noReply();
    }
    return Effect().reply(read.replyTo(), chunk);
  }

  /** Hot messages after {@code after} (at or after the last segment). */
  private Chunk chunk(State state, String after) {
    return page(state, state.messages.subList(state.firstAfter(after), state.messages.size()), state.tail, true);
  }

  /** The segments a page from the one at {@code index} may need: that one, and the next ones until a page's worth. */
  private List<Segment> pageSegments(State state, int index) {
    List<Segment> needed = new ArrayList<>();
    long bytes = 0;
    for (int i = index; i < state.segments.size() && (needed.isEmpty() || bytes < settings.readMaxBytes()); i++) {
      needed.add(state.segments.get(i));
      bytes += state.segments.get(i).bytes();
    }
    return needed;
  }

  /** Messages after {@code after} from the (loaded) {@code segments}, and on into the hot tail after the last segment. */
  private Chunk coldChunk(State state, List<Segment> segments, String after) {
    List<Message> candidates = new ArrayList<>();
    for (Segment segment : segments) {
      for (Message message : loaded.get(segment)) {
        if ((after == null || message.offset().compareTo(after) > 0) && message.offset().compareTo(segment.last()) <= 0) {
          candidates.add(message);
        }
      }
    }
    Segment end = segments.get(segments.size() - 1);
    boolean last = end.equals(state.segments.get(state.segments.size() - 1));
    if (last) {
      candidates.addAll(state.messages);
    }
    return page(state, candidates, last ? state.tail : end.last(), last);
  }

  /**
   * Whole messages from {@code candidates} up to the page size (at least one when there is one);
   * {@code end}: the offset the candidates reach, {@code reachTail}: whether that is the stream's tail.
   */
  private Chunk page(State state, List<Message> candidates, String end, boolean reachTail) {
    int fits = Pages.fitting(candidates, message -> message.data().length, settings.readMaxBytes());
    List<Message> page = List.copyOf(candidates.subList(0, fits));
    boolean upToDate = reachTail && fits == candidates.size();
    String next = page.isEmpty() ? end : page.get(page.size() - 1).offset();
    return new Chunk(state.meta(), page, next, upToDate, upToDate && state.closed);
  }

  /** After a write: answer every waiting reader that now has something (data, a close, or a deleted stream). */
  private void wake(State state) {
    Iterator<Map.Entry<Long, Waiter>> pending = waiters.entrySet().iterator();
    while (pending.hasNext()) {
      Map.Entry<Long, Waiter> entry = pending.next();
      Waiter waiter = entry.getValue();
      ReadReply reply;
      if (!state.exists) {
        reply = notFound();
      } else {
        Chunk chunk = chunk(state, waiter.after());
        if (chunk.messages().isEmpty() && !state.closed) {
          continue;
        }
        reply = chunk.messages().isEmpty()
            ? new Chunk(state.meta(), List.of(), waiter.after(), true, true)
            : chunk;
      }
      waiter.replyTo().tell(reply);
      timers.cancel(entry.getKey());
      pending.remove();
    }
  }

  private ReplyEffect<Event, State> onWaitExpired(State state, WaitExpired expired) {
    Waiter waiter = waiters.remove(expired.waiter());
    if (waiter != null) {
      waiter.replyTo().tell(live(state) ? new TimedOut(state.meta(), waiter.after()) : notFound());
    }
    return Effect().noReply();
  }

  // ---- delete and fork ----

  private ReplyEffect<Event, State> onDelete(State state, Delete delete) {
    if (!live(state)) {
      return Effect().reply(delete.replyTo(), missing(state));
    }
    if (!state.forks.isEmpty()) {
      return Effect().persist(new StreamSoftDeleted(System.currentTimeMillis()))
          .thenRun(this::wakeGone)
          .thenReply(delete.replyTo(), after -> new Deleted());
    }
    return deleteNow(state).thenReply(delete.replyTo(), after -> new Deleted());
  }

  /** Deletes for good, and lets the source (if this is a fork) go when this was its last fork. */
  private EffectBuilder<Event, State> deleteNow(State state) {
    ForkPoint fork = state.fork;
    List<String> segments = ownSegmentKeys(state);
    return Effect().persist(new StreamDeleted(System.currentTimeMillis()))
        .thenRun(after -> {
          wake(after);
          deleteObjects(segments);
          if (fork != null) {
            tellStream(fork.source(), new DetachFork(streamId));
          }
        });
  }

  /** Soft-deleted: live readers learn the stream is gone. */
  private void wakeGone(State state) {
    for (Map.Entry<Long, Waiter> entry : waiters.entrySet()) {
      entry.getValue().replyTo().tell(missing(state));
      timers.cancel(entry.getKey());
    }
    waiters.clear();
  }

  private ReplyEffect<Event, State> onAttachFork(State state, AttachFork attach) {
    if (!state.exists || state.forks.contains(attach.fork())) {
      return Effect().noReply();
    }
    return Effect().persist(new ForkAttached(attach.fork())).thenNoReply();
  }

  private ReplyEffect<Event, State> onDetachFork(State state, DetachFork detach) {
    if (!state.exists || !state.forks.contains(detach.fork())) {
      return Effect().noReply();
    }
    if (state.softDeleted && state.forks.size() == 1) {
      // The last reader of a deleted stream is gone: now it goes too (and may free its own source).
      ForkPoint fork = state.fork;
      List<String> segments = ownSegmentKeys(state);
      return Effect().persist(List.of(new ForkDetached(detach.fork()), new StreamDeleted(System.currentTimeMillis())))
          .thenRun(after -> {
            deleteObjects(segments);
            if (fork != null) {
              tellStream(fork.source(), new DetachFork(streamId));
            }
          })
          .thenNoReply();
    }
    return Effect().persist(new ForkDetached(detach.fork())).thenNoReply();
  }

  private ReplyEffect<Event, State> onForkFrom(State state, ForkFrom fork) {
    if (!live(state)) {
      return Effect().reply(fork.replyTo(), missing(state));
    }
    ForkPoint point = fork.point();
    String at = point.offset() == null ? state.tail : Offsets.canonical(point.offset());
    if (at.compareTo(state.tail) > 0) {
      return Effect().reply(fork.replyTo(), Refused.of(Refusal.INVALID, "fork offset beyond the stream"));
    }
    // The fork reads the segments before its offset where they are (the one it forks inside, only up to it).
    List<Segment> segments = new ArrayList<>();
    for (Segment segment : state.segments) {
      if (segment.first().compareTo(at) > 0) {
        break;
      }
      segments.add(segment.last().compareTo(at) <= 0 ? segment
          : new Segment(segment.seq(), segment.key(), segment.first(), at, segment.bytes(), segment.count()));
    }
    int end = state.firstAfter(at);
    List<Message> messages = new ArrayList<>(state.messages.subList(0, end));
    if (point.subOffset() > 0) {
      Optional<Message> after;
      int cold = state.firstSegmentAfter(at);
      if (cold >= 0) {
        Segment segment = state.segments.get(cold);
        if (!loaded.containsKey(segment)) {
          return load(List.of(segment), fork);
        }
        after = loaded.get(segment).stream().filter(m -> m.offset().compareTo(at) > 0).findFirst();
      } else {
        after = end < state.messages.size() ? Optional.of(state.messages.get(end)) : Optional.empty();
      }
      if (after.isEmpty()) {
        return Effect().reply(fork.replyTo(), Refused.of(Refusal.INVALID, "no message after the fork offset"));
      }
      byte[] next = after.get().data();
      byte[] prefix;
      if (JsonMode.isJson(state.contentType)) {
        if (point.subOffset() > JsonMode.values(next).size()) {
          return Effect().reply(fork.replyTo(), Refused.of(Refusal.INVALID, "sub-offset beyond the message's values"));
        }
        prefix = JsonMode.prefix(next, point.subOffset());
      } else {
        if (point.subOffset() > next.length) {
          return Effect().reply(fork.replyTo(), Refused.of(Refusal.INVALID, "sub-offset beyond the message"));
        }
        prefix = Arrays.copyOf(next, point.subOffset());
      }
      messages.add(new Message(Offsets.next(at, prefix.length), prefix));
    }
    return Effect().reply(fork.replyTo(), new ForkBase(state.meta(), at, point.subOffset(), segments, messages));
  }

  // ---- cold segments ----

  /** Once the hot tail has passed a segment's size, writes its oldest messages to the lake (one write at a time). */
  private void seal(State state) {
    if (sealing != null || timers.isTimerActive(SEAL_RETRY_TIMER) || !state.exists
        || state.hotBytes < settings.segmentBytes()) {
      return;
    }
    List<Message> batch = new ArrayList<>();
    long bytes = 0;
    for (Message message : state.messages) {
      if (bytes >= settings.segmentBytes()) {
        break;
      }
      batch.add(message);
      bytes += message.data().length;
    }
    Segment segment = new Segment(state.nextSegmentSeq, StreamSegment.key(streamId, state.nextSegmentSeq),
        batch.get(0).offset(), batch.get(batch.size() - 1).offset(), bytes, batch.size());
    sealing = segment;
    context.pipeToSelf(CompletableFuture.runAsync(() -> {
      try {
        lake.put(segment.key(), StreamSegment.encode(batch), StreamSegment.CONTENT_TYPE);
      } catch (LakeException e) {
        throw new CompletionException(e);
      }
    }, lakeExecutor), (done, error) -> error == null ? new SegmentWritten(segment)
        : new SegmentWriteFailed(segment, cause(error)));
  }

  private ReplyEffect<Event, State> onSegmentWritten(State state, SegmentWritten written) {
    Segment segment = written.segment();
    sealing = null;
    sealFailures = 0;
    if (!state.exists || state.nextSegmentSeq != segment.seq()) {
      // The stream was deleted while the object was being written: it belongs to no stream.
      deleteObjects(List.of(segment.key()));
      seal(state);
      return Effect().noReply();
    }
    return Effect().persist(new SegmentSealed(segment)).thenRun(this::seal).thenNoReply();
  }

  private ReplyEffect<Event, State> onSegmentWriteFailed(State state, SegmentWriteFailed failed) {
    sealing = null;
    sealFailures++;
    Duration delay = settings.segmentBackoff().delay(sealFailures, ThreadLocalRandom.current()::nextDouble);
    timers.startSingleTimer(SEAL_RETRY_TIMER, SealRetry.INSTANCE, delay);
    context.getLog().warn("stream {}: writing segment {} ({} messages) failed ({} in a row); retrying in {} ms: {}",
        streamId, failed.segment().key(), failed.segment().count(), sealFailures, delay.toMillis(), failed.error().toString());
    return Effect().noReply();
  }

  /** Reads the {@code needed} segments not loaded yet off the actor; {@code then} is handled again once they are here. */
  private ReplyEffect<Event, State> load(List<Segment> needed, Command then) {
    List<Segment> missing = needed.stream().filter(segment -> !loaded.containsKey(segment)).toList();
    context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
      Map<Segment, List<Message>> read = new LinkedHashMap<>();
      for (Segment segment : missing) {
        try {
          List<Message> messages = StreamSegment.decode(lake.get(segment.key()));
          if (messages.size() != segment.count()) {
            throw new IllegalStateException(segment.key() + " holds " + messages.size() + " messages, the index says "
                + segment.count());
          }
          read.put(segment, messages);
        } catch (LakeException e) {
          throw new CompletionException(e);
        }
      }
      return read;
    }, lakeExecutor), (read, error) -> new SegmentsLoaded(needed, read, error == null ? null : cause(error), then));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onSegmentsLoaded(State state, SegmentsLoaded done) {
    if (done.error() != null) {
      context.getLog().error("stream {}: cannot read its segments: {}", streamId, done.error().toString());
      Refused unavailable = Refused.of(Refusal.UNAVAILABLE, "part of the stream cannot be read now");
      return done.then() instanceof Read reader ? Effect().reply(reader.replyTo(), unavailable)
          : Effect().reply(((ForkFrom) done.then()).replyTo(), unavailable);
    }
    Map<Segment, List<Message>> kept = new LinkedHashMap<>();
    for (Segment segment : done.needed()) {
      List<Message> messages = loaded.containsKey(segment) ? loaded.get(segment) : done.read().get(segment);
      // One dropped meanwhile by another read is simply loaded again when the read is handled below.
      if (messages != null) {
        kept.put(segment, messages);
      }
    }
    loaded = kept;
    return done.then() instanceof Read reader ? onRead(state, reader) : onForkFrom(state, (ForkFrom) done.then());
  }

  /** This stream's own segments (a fork's inherited ones belong to its source). */
  private List<String> ownSegmentKeys(State state) {
    String prefix = StreamSegment.prefix(streamId);
    return state.segments.stream().map(Segment::key).filter(key -> key.startsWith(prefix)).toList();
  }

  /**
   * Best effort, off the actor: an object left behind (a failed delete, a crash) is unreachable,
   * as no index names it and segment numbers are never reused.
   */
  private void deleteObjects(List<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    CompletableFuture.runAsync(() -> {
      try {
        lake.deleteAll(keys);
      } catch (LakeException e) {
        throw new CompletionException(e);
      }
    }, lakeExecutor).whenComplete((done, error) -> {
      if (error != null) {
        log.warn("stream {}: deleting {} segment objects failed; they stay unreachable: {}", streamId, keys.size(),
            cause(error).toString());
      }
    });
  }

  private static Throwable cause(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }
}
