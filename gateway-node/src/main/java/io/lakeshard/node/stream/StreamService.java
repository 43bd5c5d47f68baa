package io.lakeshard.node.stream;

import io.lakeshard.core.stream.DurableStream;
import io.lakeshard.core.stream.ExpiresAt;
import io.lakeshard.core.stream.Offsets;
import io.lakeshard.core.stream.StreamProtocol;
import io.lakeshard.core.stream.StreamSettings;
import io.lakeshard.node.Stages;
import io.lakeshard.node.metrics.OpenCount;
import io.lakeshard.node.metrics.RequestTimer;
import io.lakeshard.node.metrics.StreamMeters;
import io.lakeshard.node.metrics.Transport;
import io.lakeshard.node.stream.StreamOutcome.Rejected;
import io.lakeshard.node.stream.StreamOutcome.Rejection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The Durable Streams operations, transport-neutral: a caller's credentials and a request's raw
 * values in, a {@link StreamOutcome} out. Every rule that is not the entity's is decided here, once
 * (ids, credentials, sizes, the protocol's header and parameter formats); the entity decides the
 * rest (content types, producers, closes). Live reads wait in the entity, never here.
 */
public final class StreamService {
  private static final Pattern STREAM_ID = Pattern.compile("[A-Za-z0-9._~:@!$'()*+,;=-]{1,256}");
  /** Where streams live; Stream-Forked-From may name its source by this path. */
  static final String PATH_PREFIX = "/v1/stream/";
  /**
   * Stream-TTL and Stream-Fork-Sub-Offset: whole numbers, no sign, no leading zeros, bounded so
   * they fit: a sub-offset an int, a TTL in milliseconds (some 31 million years) a long.
   */
  private static final Pattern TTL_SECONDS = Pattern.compile("0|[1-9][0-9]{0,14}");
  private static final Pattern SUB_OFFSET = Pattern.compile("0|[1-9][0-9]{0,8}");
  private static final Pattern NON_NEGATIVE = Pattern.compile("[0-9]{1,18}");
  private static final byte[] EMPTY = new byte[0];

  /** The caller's credentials ({@code bearer}: the bearer token, if any; see {@code http.Bearer}). */
  public record Caller(Optional<String> bearer) {}

  /**
   * A PUT: {@code contentType} null when the request had none; the optional values as the
   * protocol's headers carried them.
   */
  public record Create(String contentType, Optional<String> ttl, Optional<String> expiresAt,
                       Optional<String> forkedFrom, Optional<String> forkOffset, Optional<String> forkSubOffset,
                       boolean closed, byte[] body) {}

  public record Append(String contentType, Optional<String> seq, Optional<String> producerId,
                       Optional<String> producerEpoch, Optional<String> producerSeq, boolean close, byte[] body) {}

  /** A GET: every {@code offset} parameter, {@code live} (long-poll, sse or none), the client's cursor. */
  public record Read(String id, List<String> offsets, Optional<String> live, String cursor) {
    /** The offset read from (the beginning when none was given). */
    public String from() {
      return offsets.isEmpty() ? Offsets.BEGINNING : offsets.get(0);
    }

    public boolean longPoll() {
      return live.filter("long-poll"::equals).isPresent();
    }

    public boolean sse() {
      return live.filter("sse"::equals).isPresent();
    }
  }

  private final ClusterSharding sharding;
  private final StreamSettings settings;
  private final StreamAuth auth;
  private final Duration askTimeout;
  /** Live reads wait up to the long-poll timeout in the entity before it answers. */
  private final Duration liveAskTimeout;

  private final StreamMeters meters;

  public StreamService(ActorSystem<?> system, StreamSettings settings, StreamAuth auth, Duration askTimeout,
                       StreamMeters meters) {
    this.meters = meters;
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.auth = auth;
    this.askTimeout = askTimeout;
    this.liveAskTimeout = settings.longPollTimeout().plus(askTimeout);
  }

  /** The largest body a create or append may have. */
  public long maxBodyBytes() {
    return settings.maxBodyBytes();
  }

  /** How long a transport should let a live read take: the long-poll timeout and an ask's margin. */
  public Duration liveTimeout() {
    return liveAskTimeout.plus(askTimeout);
  }

  /** When to retry a write the journal refused: the entity is back after its restart backoff's first step. */
  public Duration journalRetryAfter() {
    return settings.journalBackoff().min();
  }

  /** How long a transport may take to receive a request's body. */
  public Duration askTimeout() {
    return askTimeout;
  }

  /** The gauge of open SSE connections. */
  public OpenCount sseReaders() {
    return meters.sseReaders();
  }

  public CompletionStage<StreamOutcome> create(Caller caller, String id, Create request) {
    return meters.create().time(System.nanoTime(), decideCreate(caller, id, request), StreamService::outcome);
  }

  private CompletionStage<StreamOutcome> decideCreate(Caller caller, String id, Create request) {
    StreamOutcome refused = refuseWrite(caller, id, request.body());
    if (refused != null) {
      return done(refused);
    }
    if (request.ttl().isPresent() && request.expiresAt().isPresent()) {
      return done(bad("INVALID_TTL", "Stream-TTL and Stream-Expires-At exclude each other"));
    }
    if (request.ttl().isPresent() && !TTL_SECONDS.matcher(request.ttl().get()).matches()) {
      return done(bad("INVALID_TTL", "Stream-TTL must be a non-negative integer of seconds, at most 15 digits"));
    }
    if (request.expiresAt().isPresent() && ExpiresAt.parse(request.expiresAt().get()).isEmpty()) {
      return done(bad("INVALID_EXPIRES_AT", "Stream-Expires-At must be an RFC 3339 timestamp"));
    }
    if (request.forkSubOffset().isPresent() && request.forkedFrom().isEmpty()) {
      return done(bad("INVALID_FORK", "Stream-Fork-Sub-Offset needs Stream-Forked-From"));
    }
    if (request.forkOffset().isPresent() && !Offsets.isOffset(request.forkOffset().get())) {
      return done(bad("INVALID_FORK", "malformed Stream-Fork-Offset"));
    }
    if (request.forkSubOffset().isPresent() && !SUB_OFFSET.matcher(request.forkSubOffset().get()).matches()) {
      return done(bad("INVALID_FORK", "Stream-Fork-Sub-Offset must be a non-negative integer, at most 9 digits"));
    }
    StreamProtocol.ForkPoint fork = null;
    String contentType = request.contentType();
    if (request.forkedFrom().isPresent()) {
      Optional<String> source = sourceId(request.forkedFrom().get());
      if (source.isEmpty()) {
        return done(bad("INVALID_FORK", "Stream-Forked-From must be a stream path"));
      }
      // Without a Content-Type a fork takes its source's: the entity knows it.
      fork = new StreamProtocol.ForkPoint(source.get(), request.forkOffset().orElse(null),
          request.forkSubOffset().map(Integer::parseInt).orElse(0));
    } else if (contentType == null) {
      contentType = DurableStream.DEFAULT_CONTENT_TYPE;
    }
    StreamProtocol.CreateSpec spec = new StreamProtocol.CreateSpec(contentType,
        request.ttl().map(Long::parseLong).orElse(null), request.expiresAt().orElse(null), request.closed(),
        request.body(), fork);
    return Stages.direct(stream(id).<StreamProtocol.CreateReply>ask(
            replyTo -> new StreamProtocol.Create(spec, replyTo), askTimeout))
        .thenApply(reply -> reply instanceof StreamProtocol.Refused entityRefused
            ? new StreamOutcome.Refused(entityRefused)
            : created((StreamProtocol.Created) reply));
  }

  public CompletionStage<StreamOutcome> append(Caller caller, String id, Append request) {
    return meters.append().time(System.nanoTime(), decideAppend(caller, id, request), outcome -> {
      if (outcome instanceof StreamOutcome.Appended) {
        meters.appends().increment();
        meters.appendedBytes().increment(request.body().length);
      }
      return outcome(outcome);
    });
  }

  private CompletionStage<StreamOutcome> decideAppend(Caller caller, String id, Append request) {
    StreamOutcome refused = refuseWrite(caller, id, request.body());
    if (refused != null) {
      return done(refused);
    }
    StreamProtocol.Producer producer = null;
    if (request.producerId().isPresent() || request.producerEpoch().isPresent() || request.producerSeq().isPresent()) {
      if (request.producerId().isEmpty() || request.producerEpoch().isEmpty() || request.producerSeq().isEmpty()) {
        return done(bad("INVALID_PRODUCER", "Producer-Id, Producer-Epoch and Producer-Seq go together"));
      }
      if (request.producerId().get().isEmpty()) {
        return done(bad("INVALID_PRODUCER", "Producer-Id must not be empty"));
      }
      if (!NON_NEGATIVE.matcher(request.producerEpoch().get()).matches()
          || !NON_NEGATIVE.matcher(request.producerSeq().get()).matches()) {
        return done(bad("INVALID_PRODUCER", "Producer-Epoch and Producer-Seq must be non-negative integers"));
      }
      producer = new StreamProtocol.Producer(request.producerId().get(), Long.parseLong(request.producerEpoch().get()),
          Long.parseLong(request.producerSeq().get()));
    }
    if (request.body().length == 0 && !request.close()) {
      return done(bad("EMPTY_BODY", "an append needs a body (or Stream-Closed: true)"));
    }
    boolean closeOnly = request.close() && request.body().length == 0;
    StreamProtocol.Producer writer = producer;
    StreamProtocol.AppendSpec spec = new StreamProtocol.AppendSpec(request.body(), request.contentType(),
        request.seq().orElse(null), producer, request.close());
    return Stages.direct(stream(id).<StreamProtocol.AppendReply>ask(
            replyTo -> new StreamProtocol.Append(spec, replyTo), askTimeout))
        .thenApply(reply -> {
          if (reply instanceof StreamProtocol.Appended appended) {
            return new StreamOutcome.Appended(appended.offset(), appended.closed(), writer, closeOnly);
          }
          if (reply instanceof StreamProtocol.Duplicate duplicate) {
            return new StreamOutcome.Duplicate(duplicate);
          }
          return new StreamOutcome.Refused((StreamProtocol.Refused) reply);
        });
  }

  /** A catch-up read, a long-poll, or the start of an SSE connection. */
  public CompletionStage<StreamOutcome> read(Caller caller, Read request) {
    long started = System.nanoTime();
    if (!request.longPoll()) {
      return meters.read(request.sse() ? Transport.SSE : Transport.HTTP)
          .time(started, decideRead(caller, request), StreamService::outcome);
    }
    meters.longPollReaders().opened();
    return meters.read(Transport.LONG_POLL).time(started, decideRead(caller, request), StreamService::outcome)
        .whenComplete((outcome, failure) -> meters.longPollReaders().closed());
  }

  private CompletionStage<StreamOutcome> decideRead(Caller caller, Read request) {
    StreamOutcome refused = refuseRead(caller, request.id());
    if (refused != null) {
      return done(refused);
    }
    if (request.offsets().size() > 1) {
      return done(bad("INVALID_OFFSET", "one offset parameter at most"));
    }
    if (!Offsets.isReadable(request.from())) {
      return done(bad("INVALID_OFFSET", "offset must be -1, now or an offset this stream issued"));
    }
    if ((request.longPoll() || request.sse()) && request.offsets().isEmpty()) {
      return done(bad("OFFSET_REQUIRED", "live reads need an offset"));
    }
    // An SSE connection's first read answers at once (404 before any event is sent, when the stream is missing).
    boolean wait = request.longPoll();
    return ask(request.id(), request.from(), wait).thenApply(reply -> {
      if (reply instanceof StreamProtocol.Refused entityRefused) {
        return new StreamOutcome.Refused(entityRefused);
      }
      if (reply instanceof StreamProtocol.TimedOut timedOut) {
        return new StreamOutcome.NothingNew(request, timedOut);
      }
      StreamProtocol.Chunk chunk = (StreamProtocol.Chunk) reply;
      return request.sse() ? new StreamOutcome.Subscribed(request, chunk)
          : new StreamOutcome.Page(request, chunk);
    });
  }

  /** An SSE connection's next read, from {@code offset}; once {@code caughtUp} it waits in the entity. */
  public CompletionStage<StreamProtocol.ReadReply> follow(String id, String offset, boolean caughtUp) {
    return ask(id, offset, caughtUp);
  }

  public CompletionStage<StreamOutcome> head(Caller caller, String id) {
    return meters.head().time(System.nanoTime(), decideHead(caller, id), StreamService::outcome);
  }

  private CompletionStage<StreamOutcome> decideHead(Caller caller, String id) {
    StreamOutcome refused = refuseRead(caller, id);
    if (refused != null) {
      return done(refused);
    }
    return Stages.direct(stream(id).<StreamProtocol.HeadReply>ask(StreamProtocol.Head::new, askTimeout))
        .thenApply(reply -> reply instanceof StreamProtocol.Refused entityRefused
            ? new StreamOutcome.Refused(entityRefused)
            : new StreamOutcome.Described(((StreamProtocol.Described) reply).meta()));
  }

  public CompletionStage<StreamOutcome> delete(Caller caller, String id) {
    return meters.delete().time(System.nanoTime(), decideDelete(caller, id), StreamService::outcome);
  }

  private CompletionStage<StreamOutcome> decideDelete(Caller caller, String id) {
    StreamOutcome refused = refuseWrite(caller, id, EMPTY);
    if (refused != null) {
      return done(refused);
    }
    return Stages.direct(stream(id).<StreamProtocol.DeleteReply>ask(StreamProtocol.Delete::new, askTimeout))
        .thenApply(reply -> reply instanceof StreamProtocol.Refused entityRefused
            ? new StreamOutcome.Refused(entityRefused)
            : new StreamOutcome.Deleted());
  }

  private CompletionStage<StreamProtocol.ReadReply> ask(String id, String offset, boolean live) {
    return Stages.direct(
        stream(id).ask(replyTo -> new StreamProtocol.Read(offset, live, replyTo), live ? liveAskTimeout : askTimeout));
  }

  /** An outcome for the metrics: a rule's or the entity's refusal, the journal unavailable, or served. */
  private static RequestTimer.Outcome outcome(StreamOutcome outcome) {
    if (outcome instanceof StreamOutcome.Refused refused) {
      return switch (refused.refused().reason()) {
        case UNAVAILABLE, JOURNAL_UNAVAILABLE, OVERLOADED -> RequestTimer.Outcome.UNAVAILABLE;
        default -> RequestTimer.Outcome.REFUSED;
      };
    }
    return outcome instanceof StreamOutcome.Rejected ? RequestTimer.Outcome.REFUSED : RequestTimer.Outcome.OK;
  }

  private static StreamOutcome created(StreamProtocol.Created created) {
    return new StreamOutcome.Created(created.meta(), created.isNew());
  }

  /** The rejection of a mutation before the entity is asked (id, write token, body size), else null. */
  private StreamOutcome refuseWrite(Caller caller, String id, byte[] body) {
    if (!STREAM_ID.matcher(id).matches()) {
      return invalidId();
    }
    Optional<StreamAuth.Denied> denied = auth.checkWrite(caller.bearer());
    if (denied.isPresent()) {
      return denied(denied.get());
    }
    if (body.length > settings.maxBodyBytes()) {
      return new Rejected(Rejection.TOO_LARGE, "PAYLOAD_TOO_LARGE", "body over " + settings.maxBodyBytes() + " bytes");
    }
    return null;
  }

  /** The rejection of a read before the entity is asked (id, read token), else null. */
  private StreamOutcome refuseRead(Caller caller, String id) {
    if (!STREAM_ID.matcher(id).matches()) {
      return invalidId();
    }
    return auth.checkRead(id, caller.bearer()).map(StreamService::denied).orElse(null);
  }

  private static StreamOutcome invalidId() {
    return bad("INVALID_STREAM_ID", "stream id must match " + STREAM_ID);
  }

  private static StreamOutcome denied(StreamAuth.Denied denied) {
    return denied.forbidden() ? new Rejected(Rejection.FORBIDDEN, "FORBIDDEN", denied.message())
        : new Rejected(Rejection.UNAUTHORIZED, "UNAUTHORIZED", denied.message());
  }

  private static StreamOutcome bad(String code, String message) {
    return new Rejected(Rejection.BAD_REQUEST, code, message);
  }

  private static CompletionStage<StreamOutcome> done(StreamOutcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }

  /** Stream-Forked-From names the source by its path ({@code /v1/stream/id}) or by its id. */
  private static Optional<String> sourceId(String value) {
    String id = value.startsWith(PATH_PREFIX) ? value.substring(PATH_PREFIX.length()) : value;
    return STREAM_ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
  }

  private EntityRef<StreamProtocol.Command> stream(String id) {
    return sharding.entityRefFor(DurableStream.ENTITY_TYPE_KEY, id);
  }
}
