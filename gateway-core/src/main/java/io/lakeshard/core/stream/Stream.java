package io.lakeshard.core.stream;

import io.lakeshard.core.CborSerializable;
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
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One durable stream (Durable Streams protocol): the single sequencer of its appends. An append is
 * journaled before it is acknowledged, so every offset a client was given is readable after any
 * crash. The entity also holds the stream's live readers: a long-poll (or an SSE connection
 * between appends) that is caught up waits here and is answered by the next append, close or
 * delete, or by its timer.
 *
 * <p>A fork is created from a copy of its source's messages up to the fork offset (obtained from
 * the source with {@link ForkFrom}), so it never reads across entities; its offsets continue the
 * source's.
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

  /** The source's side of a fork: its settings and messages up to {@code forkOffset}. */
  public record ForkBase(Meta source, String forkOffset, int subOffset, List<Message> messages) implements ForkReply {}

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
    SEQ_GAP
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

  /** The stream exists from {@code start} (zero, or a fork's offset) with {@code messages} (inherited and initial). */
  public record StreamCreated(String contentType, Long ttlSeconds, String expiresAt, boolean closed, ForkPoint fork,
                              String start, List<Message> messages, long atMillis) implements Event {}

  public record MessageAppended(Message message, String seq, Producer producer, boolean close, long atMillis)
      implements Event {}

  public record StreamClosed(Producer producer, long atMillis) implements Event {}

  public record StreamDeleted(long atMillis) implements Event {}

  /** Deleted by a client while it has forks: kept for them, gone for everyone else. */
  public record StreamSoftDeleted(long atMillis) implements Event {}

  public record ForkAttached(String fork) implements Event {}

  public record ForkDetached(String fork) implements Event {}

  // ---- state ----

  record ProducerState(long epoch, long lastSeq, long updatedMillis) {}

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
    final List<Message> messages = new ArrayList<>();
    String tail = Offsets.ZERO;
    String lastSeq;
    final Map<String, ProducerState> producers = new LinkedHashMap<>();
    long lastWriteMillis;
    final Set<String> forks = new TreeSet<>();
    boolean softDeleted;

    Meta meta() {
      return new Meta(contentType, tail, closed, ttlSeconds, expiresAt);
    }

    boolean expired(long now, long lastReadMillis) {
      if (expiresAtMillis != null && now >= expiresAtMillis) {
        return true;
      }
      return ttlSeconds != null && now >= Math.max(lastWriteMillis, lastReadMillis) + ttlSeconds * 1000;
    }

    /** Index of the first message after {@code offset} (null: the beginning). */
    int firstAfter(String offset) {
      if (offset == null) {
        return 0;
      }
      int low = 0;
      int high = messages.size();
      while (low < high) {
        int mid = (low + high) >>> 1;
        if (messages.get(mid).offset().compareTo(offset) <= 0) {
          low = mid + 1;
        } else {
          high = mid;
        }
      }
      return low;
    }

    State apply(Event event) {
      if (event instanceof StreamCreated created) {
          reset();
          exists = true;
          contentType = created.contentType();
          ttlSeconds = created.ttlSeconds();
          expiresAt = created.expiresAt();
          expiresAtMillis = created.expiresAt() == null ? null
              : parseExpiresAt(created.expiresAt()).map(Instant::toEpochMilli).orElse(0L);
          closed = created.closed();
          fork = created.fork();
          messages.addAll(created.messages());
          tail = created.messages().isEmpty() ? created.start() : created.messages().get(created.messages().size() - 1).offset();
          lastWriteMillis = created.atMillis();
      } else if (event instanceof MessageAppended appended) {
          messages.add(appended.message());
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
      } else if (event instanceof StreamSoftDeleted) {
        softDeleted = true;
      } else if (event instanceof ForkAttached attached) {
        forks.add(attached.fork());
      } else if (event instanceof ForkDetached detached) {
        forks.remove(detached.fork());
      }
      return this;
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
      messages.clear();
      tail = Offsets.ZERO;
      lastSeq = null;
      producers.clear();
      forks.clear();
      softDeleted = false;
    }
  }

  // ---- wiring ----

  public static void init(ActorSystem<?> system, StreamSettings settings) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, entity -> create(entity.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String streamId, StreamSettings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new Stream(streamId, settings, timers, context.getSystem())));
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

  private final String streamId;
  private final StreamSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorSystem<?> system;
  /** Caught-up live readers by id; answered by the next append, close or delete, or their timer. */
  private final Map<Long, Waiter> waiters = new LinkedHashMap<>();
  private long nextWaiter;
  /** Reads keep a TTL stream alive too; they are not journaled, so this is lost with the entity. */
  private long lastReadMillis;

  private Stream(String streamId, StreamSettings settings, TimerScheduler<Command> timers, ActorSystem<?> system) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), streamId));
    this.streamId = streamId;
    this.settings = settings;
    this.timers = timers;
    this.system = system;
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
    List<Message> messages = new ArrayList<>();
    String start = Offsets.ZERO;
    if (create.base() != null) {
      messages.addAll(create.base().messages());
      start = create.base().forkOffset();
    }
    String tail = messages.isEmpty() ? start : messages.get(messages.size() - 1).offset();
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
        spec.fork(), start, messages, now);
    // An expired stream is still in the journal: drop it first so nothing of it survives recovery.
    List<Event> events = state.exists ? List.of(new StreamDeleted(now), created) : List.of(created);
    ForkPoint previousFork = state.exists ? state.fork : null;
    lastReadMillis = now;
    return Effect().persist(events)
        .thenRun(after -> {
          wake(after);
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
      if (!sent.equals(JsonMode.mediaType(state.contentType))) {
        // Pekko HTTP gives a request without Content-Type the type application/octet-stream.
        return Effect().reply(replyTo, sent.isEmpty() || sent.equals(DEFAULT_CONTENT_TYPE)
            ? Refused.of(Refusal.CONTENT_TYPE_MISSING, "Content-Type " + state.contentType + " required")
            : Refused.of(Refusal.CONTENT_TYPE_MISMATCH, "stream has content type " + state.contentType));
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
        .thenRun(this::wake)
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

  /** Whole messages after {@code after} up to the page size (at least one when there is one). */
  private Chunk chunk(State state, String after) {
    int from = state.firstAfter(after);
    List<Message> page = new ArrayList<>();
    long bytes = 0;
    int index = from;
    while (index < state.messages.size() && (page.isEmpty() || bytes + state.messages.get(index).data().length <= settings.readMaxBytes())) {
      Message message = state.messages.get(index++);
      page.add(message);
      bytes += message.data().length;
    }
    boolean upToDate = index == state.messages.size();
    String next = page.isEmpty() ? state.tail : page.get(page.size() - 1).offset();
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
    return Effect().persist(new StreamDeleted(System.currentTimeMillis()))
        .thenRun(after -> {
          wake(after);
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
      return Effect().persist(List.of(new ForkDetached(detach.fork()), new StreamDeleted(System.currentTimeMillis())))
          .thenRun(after -> {
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
    int end = state.firstAfter(at);
    List<Message> messages = new ArrayList<>(state.messages.subList(0, end));
    if (point.subOffset() > 0) {
      if (end == state.messages.size()) {
        return Effect().reply(fork.replyTo(), Refused.of(Refusal.INVALID, "no message after the fork offset"));
      }
      byte[] next = state.messages.get(end).data();
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
    return Effect().reply(fork.replyTo(), new ForkBase(state.meta(), at, point.subOffset(), messages));
  }
}
