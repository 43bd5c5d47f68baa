package io.lakeshard.node.stream;

import static io.lakeshard.node.http.JsonErrors.error;

import io.lakeshard.core.stream.JsonMode;
import io.lakeshard.core.stream.Offsets;
import io.lakeshard.core.stream.Stream;
import io.lakeshard.core.stream.StreamCursor;
import io.lakeshard.core.stream.StreamSettings;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.protocol.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.HttpCredentials;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP surface of the Durable Streams protocol at {@code /v1/stream/{id}}: parse and validate the
 * protocol's headers and parameters, ask the stream's entity, map its reply. Every response carries
 * the CORS and browser-security headers; live reads wait in the entity, never here.
 */
public final class StreamRoutes extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(StreamRoutes.class);
  private static final Pattern STREAM_ID = Pattern.compile("[A-Za-z0-9._~:@!$'()*+,;=-]{1,256}");
  private static final String PATH_PREFIX = "/v1/stream/";
  /** Stream-TTL: whole seconds, no sign, no leading zeros. */
  private static final Pattern TTL = Pattern.compile("0|[1-9][0-9]{0,17}");
  private static final Pattern NON_NEGATIVE = Pattern.compile("[0-9]{1,18}");
  private static final String JSON_MEDIA_TYPE = "application/json";

  static final String NEXT_OFFSET = "Stream-Next-Offset";
  static final String UP_TO_DATE = "Stream-Up-To-Date";
  static final String CURSOR = "Stream-Cursor";
  static final String CLOSED = "Stream-Closed";
  static final String SEQ = "Stream-Seq";
  static final String TTL_HEADER = "Stream-TTL";
  static final String EXPIRES_AT = "Stream-Expires-At";
  static final String PRODUCER_ID = "Producer-Id";
  static final String PRODUCER_EPOCH = "Producer-Epoch";
  static final String PRODUCER_SEQ = "Producer-Seq";
  static final String FORKED_FROM = "Stream-Forked-From";
  static final String FORK_OFFSET = "Stream-Fork-Offset";
  static final String FORK_SUB_OFFSET = "Stream-Fork-Sub-Offset";

  /** On every response: browsers may call from any origin and read the protocol's headers. */
  private static final List<HttpHeader> COMMON_HEADERS = List.of(
      RawHeader.create("Access-Control-Allow-Origin", "*"),
      RawHeader.create("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, HEAD, OPTIONS"),
      RawHeader.create("Access-Control-Allow-Headers", "content-type, authorization, if-none-match, Stream-Seq, "
          + "Stream-TTL, Stream-Expires-At, Stream-Closed, Producer-Id, Producer-Epoch, Producer-Seq, "
          + "Stream-Forked-From, Stream-Fork-Offset, Stream-Fork-Sub-Offset"),
      RawHeader.create("Access-Control-Expose-Headers", "Stream-Next-Offset, Stream-Cursor, Stream-Up-To-Date, "
          + "Stream-Closed, Stream-TTL, Stream-Expires-At, Stream-SSE-Data-Encoding, Producer-Epoch, Producer-Seq, "
          + "Producer-Expected-Seq, Producer-Received-Seq, ETag, Location, Content-Type, Content-Encoding, Vary"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Cross-Origin-Resource-Policy", "cross-origin"));

  private final ClusterSharding sharding;
  private final StreamSettings settings;
  private final Duration askTimeout;
  /** Live reads wait up to the long-poll timeout in the entity before it answers. */
  private final Duration liveAskTimeout;
  private final StreamAuth auth;
  private final StreamRegistry registry;
  private final Clock clock = Clock.systemUTC();

  public StreamRoutes(ActorSystem<?> system, NodeSettings nodeSettings, StreamSettings settings, StreamAuth auth) {
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.askTimeout = nodeSettings.askTimeout();
    this.liveAskTimeout = settings.longPollTimeout().plus(nodeSettings.askTimeout());
    this.auth = auth;
    this.registry = new StreamRegistry(system, askTimeout, nodeSettings.streams().registry());
  }

  /** Only {@code /v1/stream/...}; anything else is left to the routes concatenated after this. */
  public Route routes() {
    return pathPrefix(PathMatchers.segment("v1").slash("stream"), () ->
        respondWithHeaders(COMMON_HEADERS, () -> handleExceptions(errors(), () ->
            path(PathMatchers.segment(), id -> extractRequest(request -> {
              if (request.method().equals(HttpMethods.OPTIONS)) {
                return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)
                    .addHeader(RawHeader.create("Access-Control-Max-Age", "86400")));
              }
              if (!STREAM_ID.matcher(id).matches()) {
                return error(StatusCodes.BAD_REQUEST, "INVALID_STREAM_ID", "stream id must match " + STREAM_ID);
              }
              return authorized(id, request, () -> dispatch(id, request));
            })))));
  }

  private Route dispatch(String id, HttpRequest request) {
    String method = request.method().value();
    return switch (method) {
      case "PUT" -> withBody(request, body -> create(id, request, body));
      case "POST" -> withBody(request, body -> append(id, request, body));
      case "GET" -> read(id, request);
      case "HEAD" -> head(id);
      case "DELETE" -> onSuccess(stream(id).<Stream.DeleteReply>ask(Stream.Delete::new, askTimeout), reply ->
          reply instanceof Stream.Refused refused ? refused(refused)
              : onSuccess(registry.deleted(id), recorded -> complete(StatusCodes.NO_CONTENT)));
      default -> error(StatusCodes.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", method + " is not supported on streams");
    };
  }

  // ---- create ----

  private Route create(String id, HttpRequest request, byte[] body) {
    Optional<String> ttl = header(request, TTL_HEADER);
    Optional<String> expiresAt = header(request, EXPIRES_AT);
    if (ttl.isPresent() && expiresAt.isPresent()) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_TTL", "Stream-TTL and Stream-Expires-At exclude each other");
    }
    if (ttl.isPresent() && !TTL.matcher(ttl.get()).matches()) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_TTL", "Stream-TTL must be a non-negative integer of seconds");
    }
    if (expiresAt.isPresent() && Stream.parseExpiresAt(expiresAt.get()).isEmpty()) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_EXPIRES_AT", "Stream-Expires-At must be an RFC 3339 timestamp");
    }
    Optional<String> forkedFrom = header(request, FORKED_FROM);
    Optional<String> forkOffset = header(request, FORK_OFFSET);
    Optional<String> subOffsetHeader = header(request, FORK_SUB_OFFSET);
    if (subOffsetHeader.isPresent() && forkedFrom.isEmpty()) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_FORK", "Stream-Fork-Sub-Offset needs Stream-Forked-From");
    }
    if (forkOffset.isPresent() && !Offsets.isOffset(forkOffset.get())) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_FORK", "malformed Stream-Fork-Offset");
    }
    if (subOffsetHeader.isPresent() && !TTL.matcher(subOffsetHeader.get()).matches()) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_FORK", "Stream-Fork-Sub-Offset must be a non-negative integer");
    }
    int subOffset = subOffsetHeader.map(Integer::parseInt).orElse(0);
    String mediaType = mediaType(request);
    Stream.ForkPoint fork = null;
    if (forkedFrom.isPresent()) {
      Optional<String> source = sourceId(forkedFrom.get());
      if (source.isEmpty()) {
        return error(StatusCodes.BAD_REQUEST, "INVALID_FORK", "Stream-Forked-From must be a stream path");
      }
      fork = new Stream.ForkPoint(source.get(), forkOffset.orElse(null), subOffset);
    } else if (mediaType == null) {
      mediaType = Stream.DEFAULT_CONTENT_TYPE;
    }
    boolean closed = header(request, CLOSED).map("true"::equalsIgnoreCase).orElse(false);
    Stream.CreateSpec spec = new Stream.CreateSpec(mediaType, ttl.map(Long::parseLong).orElse(null),
        expiresAt.orElse(null), closed, body, fork);
    if (fork == null) {
      return createWith(id, request, spec, null);
    }
    Stream.ForkPoint point = fork;
    return onSuccess(stream(point.source()).<Stream.ForkReply>ask(
        replyTo -> new Stream.ForkFrom(point, replyTo), askTimeout), reply -> {
          if (reply instanceof Stream.Refused refused) {
            return switch (refused.reason()) {
              case NOT_FOUND -> error(StatusCodes.NOT_FOUND, "SOURCE_NOT_FOUND", "fork source not found");
              case GONE -> error(StatusCodes.CONFLICT, "SOURCE_GONE", "fork source was deleted");
              default -> refused(refused);
            };
          }
          Stream.ForkBase base = (Stream.ForkBase) reply;
          if (spec.contentType() != null
              && !JsonMode.mediaType(spec.contentType()).equals(JsonMode.mediaType(base.source().contentType()))) {
            return error(StatusCodes.CONFLICT, "CONTENT_TYPE_MISMATCH", "a fork keeps its source's content type");
          }
          // Without its own TTL or expiry a fork inherits the source's.
          Stream.CreateSpec inherited = spec.ttlSeconds() != null || spec.expiresAt() != null ? spec
              : new Stream.CreateSpec(spec.contentType(), base.source().ttlSeconds(), base.source().expiresAt(),
                  spec.closed(), spec.body(), spec.fork());
          return createWith(id, request, inherited, base);
        });
  }

  private Route createWith(String id, HttpRequest request, Stream.CreateSpec spec, Stream.ForkBase base) {
    return onSuccess(stream(id).<Stream.CreateReply>ask(replyTo -> new Stream.Create(spec, base, replyTo), askTimeout),
        reply -> {
          if (reply instanceof Stream.Refused refused) {
            return refused(refused);
          }
          Stream.Created created = (Stream.Created) reply;
          List<HttpHeader> headers = new ArrayList<>();
          headers.add(RawHeader.create(NEXT_OFFSET, created.meta().tail()));
          if (created.meta().closed()) {
            headers.add(RawHeader.create(CLOSED, "true"));
          }
          HttpResponse response = HttpResponse.create()
              .addHeaders(headers)
              .withEntity(HttpEntities.create(contentType(created.meta().contentType()), new byte[0]));
          if (!created.isNew()) {
            return complete(response);
          }
          HttpHeader location = RawHeader.create("Location",
              request.getUri().path(PATH_PREFIX + id).query(Query.EMPTY).toString());
          // Answered once recorded, so a client that deletes after this answer finds both events in order.
          return onSuccess(registry.created(id, created.meta().contentType()), recorded ->
              complete(response.withStatus(StatusCodes.CREATED).addHeader(location)));
        });
  }

  // ---- append and close ----

  private Route append(String id, HttpRequest request, byte[] body) {
    Optional<String> producerId = header(request, PRODUCER_ID);
    Optional<String> epoch = header(request, PRODUCER_EPOCH);
    Optional<String> producerSeq = header(request, PRODUCER_SEQ);
    Stream.Producer producer = null;
    if (producerId.isPresent() || epoch.isPresent() || producerSeq.isPresent()) {
      if (producerId.isEmpty() || epoch.isEmpty() || producerSeq.isEmpty()) {
        return error(StatusCodes.BAD_REQUEST, "INVALID_PRODUCER", "Producer-Id, Producer-Epoch and Producer-Seq go together");
      }
      if (producerId.get().isEmpty()) {
        return error(StatusCodes.BAD_REQUEST, "INVALID_PRODUCER", "Producer-Id must not be empty");
      }
      if (!NON_NEGATIVE.matcher(epoch.get()).matches() || !NON_NEGATIVE.matcher(producerSeq.get()).matches()) {
        return error(StatusCodes.BAD_REQUEST, "INVALID_PRODUCER", "Producer-Epoch and Producer-Seq must be non-negative integers");
      }
      producer = new Stream.Producer(producerId.get(), Long.parseLong(epoch.get()), Long.parseLong(producerSeq.get()));
    }
    boolean close = header(request, CLOSED).map("true"::equalsIgnoreCase).orElse(false);
    boolean closeOnly = close && body.length == 0;
    if (body.length == 0 && !close) {
      return error(StatusCodes.BAD_REQUEST, "EMPTY_BODY", "an append needs a body (or Stream-Closed: true)");
    }
    Stream.AppendSpec spec = new Stream.AppendSpec(body, mediaType(request), header(request, SEQ).orElse(null),
        producer, close);
    boolean withProducer = producer != null;
    return onSuccess(stream(id).<Stream.AppendReply>ask(replyTo -> new Stream.Append(spec, replyTo), askTimeout),
        reply -> {
          List<HttpHeader> headers = new ArrayList<>();
          if (reply instanceof Stream.Appended appended) {
            headers.add(RawHeader.create(NEXT_OFFSET, appended.offset()));
            if (appended.closed()) {
              headers.add(RawHeader.create(CLOSED, "true"));
            }
            if (withProducer) {
              headers.add(RawHeader.create(PRODUCER_EPOCH, Long.toString(spec.producer().epoch())));
              headers.add(RawHeader.create(PRODUCER_SEQ, Long.toString(spec.producer().seq())));
            }
            return complete(HttpResponse.create()
                .withStatus(withProducer && !closeOnly ? StatusCodes.OK : StatusCodes.NO_CONTENT).addHeaders(headers));
          }
          if (reply instanceof Stream.Duplicate duplicate) {
            headers.add(RawHeader.create(NEXT_OFFSET, duplicate.offset()));
            headers.add(RawHeader.create(PRODUCER_EPOCH, Long.toString(duplicate.epoch())));
            headers.add(RawHeader.create(PRODUCER_SEQ, Long.toString(duplicate.lastSeq())));
            if (duplicate.closed()) {
              headers.add(RawHeader.create(CLOSED, "true"));
            }
            return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT).addHeaders(headers));
          }
          return refused((Stream.Refused) reply);
        });
  }

  // ---- reads ----

  private Route head(String id) {
    return onSuccess(stream(id).<Stream.HeadReply>ask(Stream.Head::new, askTimeout), reply -> {
      if (reply instanceof Stream.Refused refused) {
        return complete(HttpResponse.create().withStatus(status(refused.reason())));
      }
      Stream.Meta meta = ((Stream.Described) reply).meta();
      List<HttpHeader> headers = new ArrayList<>();
      headers.add(RawHeader.create(NEXT_OFFSET, meta.tail()));
      headers.add(RawHeader.create("Cache-Control", "no-store"));
      headers.add(RawHeader.create("ETag", etag(id, Offsets.BEGINNING, meta.tail(), meta.closed())));
      if (meta.closed()) {
        headers.add(RawHeader.create(CLOSED, "true"));
      }
      if (meta.ttlSeconds() != null) {
        headers.add(RawHeader.create(TTL_HEADER, Long.toString(meta.ttlSeconds())));
      }
      if (meta.expiresAt() != null) {
        headers.add(RawHeader.create(EXPIRES_AT, meta.expiresAt()));
      }
      return complete(HttpResponse.create().addHeaders(headers)
          .withEntity(HttpEntities.create(contentType(meta.contentType()), new byte[0])));
    });
  }

  private Route read(String id, HttpRequest request) {
    List<String> offsets = request.getUri().query().getAll("offset");
    if (offsets.size() > 1) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_OFFSET", "one offset parameter at most");
    }
    Optional<String> offset = offsets.stream().findFirst();
    if (offset.isPresent() && !Offsets.isReadable(offset.get())) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_OFFSET", "offset must be -1, now or an offset this stream issued");
    }
    Optional<String> live = request.getUri().query().get("live");
    String cursor = request.getUri().query().get("cursor").orElse(null);
    boolean longPoll = live.filter("long-poll"::equals).isPresent();
    boolean sse = live.filter("sse"::equals).isPresent();
    if ((longPoll || sse) && offset.isEmpty()) {
      return error(StatusCodes.BAD_REQUEST, "OFFSET_REQUIRED", "live reads need an offset");
    }
    String from = offset.orElse(Offsets.BEGINNING);
    if (sse) {
      return sse(id, from, cursor);
    }
    if (!longPoll) {
      return onSuccess(stream(id).<Stream.ReadReply>ask(replyTo -> new Stream.Read(from, false, replyTo), askTimeout),
          reply -> readReply(id, request, from, false, cursor, reply));
    }
    // A long-poll outlives Pekko's request-timeout (20 s by default) when the long-poll timeout is longer.
    return withRequestTimeout(liveAskTimeout.plus(askTimeout), () ->
        onSuccess(stream(id).<Stream.ReadReply>ask(replyTo -> new Stream.Read(from, true, replyTo), liveAskTimeout),
            reply -> readReply(id, request, from, true, cursor, reply)));
  }

  private Route readReply(String id, HttpRequest request, String from, boolean longPoll, String cursor,
                          Stream.ReadReply reply) {
    if (reply instanceof Stream.Refused refused) {
      return refused(refused);
    }
    List<HttpHeader> headers = new ArrayList<>();
    if (reply instanceof Stream.TimedOut timedOut) {
      headers.add(RawHeader.create(NEXT_OFFSET, timedOut.offset()));
      headers.add(RawHeader.create(UP_TO_DATE, "true"));
      headers.add(RawHeader.create(CURSOR, StreamCursor.next(cursor, clock)));
      if (timedOut.meta().closed()) {
        headers.add(RawHeader.create(CLOSED, "true"));
      }
      return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT).addHeaders(headers));
    }
    Stream.Chunk chunk = (Stream.Chunk) reply;
    headers.add(RawHeader.create(NEXT_OFFSET, chunk.next()));
    if (chunk.upToDate()) {
      headers.add(RawHeader.create(UP_TO_DATE, "true"));
    }
    if (chunk.closedAtTail()) {
      headers.add(RawHeader.create(CLOSED, "true"));
    }
    if (longPoll) {
      headers.add(RawHeader.create(CURSOR, StreamCursor.next(cursor, clock)));
      if (chunk.messages().isEmpty() && chunk.closedAtTail()) {
        return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT).addHeaders(headers));
      }
    }
    if (Offsets.NOW.equals(from)) {
      // The tail moves with every append: never cache it (and so no ETag either).
      headers.add(RawHeader.create("Cache-Control", "no-store"));
    } else {
      String etag = etag(id, from, chunk.next(), chunk.closedAtTail());
      headers.add(RawHeader.create("ETag", etag));
      if (header(request, "If-None-Match").filter(etag::equals).isPresent()) {
        return complete(HttpResponse.create().withStatus(StatusCodes.NOT_MODIFIED).addHeaders(headers));
      }
    }
    byte[] body = body(chunk.meta().contentType(), chunk.messages());
    return complete(HttpResponse.create().addHeaders(headers)
        .withEntity(HttpEntities.create(contentType(chunk.meta().contentType()), body)));
  }

  private static byte[] body(String contentType, List<Stream.Message> messages) {
    List<byte[]> data = messages.stream().map(Stream.Message::data).toList();
    if (JsonMode.isJson(contentType)) {
      return JsonMode.array(data);
    }
    int size = data.stream().mapToInt(bytes -> bytes.length).sum();
    byte[] out = new byte[size];
    int at = 0;
    for (byte[] bytes : data) {
      System.arraycopy(bytes, 0, out, at, bytes.length);
      at += bytes.length;
    }
    return out;
  }

  // ---- SSE ----

  /** Where an SSE connection stands: the offset it has delivered up to, whether it is caught up, whether it ended. */
  private record SseCursor(String offset, boolean caughtUp, boolean done, String cursor) {}

  /**
   * live=sse: a chunked event stream that reads on from the last delivered offset, asking the entity
   * again after each answer; once caught up each ask waits in the entity for the next append.
   */
  private Route sse(String id, String from, String clientCursor) {
    // The first read answers at once (404 before any event is sent, when the stream is missing).
    return onSuccess(stream(id).<Stream.ReadReply>ask(replyTo -> new Stream.Read(from, false, replyTo), askTimeout),
        first -> {
          if (first instanceof Stream.Refused refused) {
            return refused(refused);
          }
          String contentType = first instanceof Stream.Chunk chunk ? chunk.meta().contentType()
              : ((Stream.TimedOut) first).meta().contentType();
          boolean base64 = !(contentType.startsWith("text/") || JsonMode.isJson(contentType));
          SseEvents events = new SseEvents(contentType, base64);
          List<ByteString> opening = new ArrayList<>();
          SseCursor start = events.render(first, new SseCursor(from, false, false, clientCursor), opening);
          Source<ByteString, ?> rest = Source.unfoldAsync(start, state -> {
            if (state.done()) {
              return CompletableFuture.completedFuture(Optional.empty());
            }
            return stream(id).<Stream.ReadReply>ask(
                    replyTo -> new Stream.Read(state.offset(), state.caughtUp(), replyTo), liveAskTimeout)
                .thenApply(reply -> {
                  List<ByteString> out = new ArrayList<>();
                  SseCursor next = events.render(reply, state, out);
                  return Optional.of(Pair.create(next, out));
                });
          }).mapConcat(list -> list);
          List<HttpHeader> headers = new ArrayList<>();
          headers.add(RawHeader.create("Cache-Control", "no-cache"));
          if (base64) {
            headers.add(RawHeader.create("Stream-SSE-Data-Encoding", "base64"));
          }
          return complete(HttpResponse.create().addHeaders(headers).withEntity(HttpEntities.createChunked(
              ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), Source.from(opening).concat(rest))));
        });
  }

  /** The protocol's SSE framing: every data event is followed by a control event with its offset. */
  private final class SseEvents {
    private final String contentType;
    private final boolean base64;

    SseEvents(String contentType, boolean base64) {
      this.contentType = contentType;
      this.base64 = base64;
    }

    SseCursor render(Stream.ReadReply reply, SseCursor state, List<ByteString> out) {
      if (reply instanceof Stream.Refused) {
        // Deleted while connected: end the stream.
        return new SseCursor(state.offset(), false, true, state.cursor());
      }
      if (reply instanceof Stream.TimedOut timedOut) {
        if (timedOut.meta().closed()) {
          out.add(control(timedOut.offset(), null, false, true));
          return new SseCursor(timedOut.offset(), true, true, state.cursor());
        }
        String cursor = StreamCursor.next(state.cursor(), clock);
        out.add(control(timedOut.offset(), cursor, true, false));
        return new SseCursor(timedOut.offset(), true, false, cursor);
      }
      Stream.Chunk chunk = (Stream.Chunk) reply;
      String cursor = state.cursor();
      List<Stream.Message> messages = chunk.messages();
      for (int i = 0; i < messages.size(); i++) {
        Stream.Message message = messages.get(i);
        boolean last = i == messages.size() - 1;
        out.add(data(message.data()));
        if (last && chunk.closedAtTail()) {
          out.add(control(message.offset(), null, false, true));
        } else {
          cursor = StreamCursor.next(cursor, clock);
          out.add(control(message.offset(), cursor, last && chunk.upToDate(), false));
        }
      }
      if (messages.isEmpty()) {
        if (chunk.closedAtTail()) {
          out.add(control(chunk.next(), null, false, true));
        } else {
          cursor = StreamCursor.next(cursor, clock);
          out.add(control(chunk.next(), cursor, chunk.upToDate(), false));
        }
      }
      return new SseCursor(chunk.next(), chunk.upToDate(), chunk.closedAtTail(), cursor);
    }

    private ByteString data(byte[] stored) {
      String payload;
      if (base64) {
        payload = Base64.getEncoder().encodeToString(stored);
      } else if (JsonMode.isJson(contentType)) {
        payload = new String(JsonMode.array(List.of(stored)), StandardCharsets.UTF_8);
      } else {
        payload = new String(stored, StandardCharsets.UTF_8);
      }
      StringBuilder event = new StringBuilder("event: data\n");
      // Every line of the payload gets its own data: field, so no payload can end the event early.
      for (String line : payload.split("\r\n|\r|\n", -1)) {
        event.append("data:").append(line).append('\n');
      }
      return ByteString.fromString(event.append('\n').toString());
    }

    private ByteString control(String offset, String cursor, boolean upToDate, boolean closed) {
      byte[] json = JsonCodec.write(gen -> {
        gen.writeStartObject();
        gen.writeStringField("streamNextOffset", offset);
        if (closed) {
          gen.writeBooleanField("streamClosed", true);
        } else {
          gen.writeStringField("streamCursor", cursor);
          if (upToDate) {
            gen.writeBooleanField("upToDate", true);
          }
        }
        gen.writeEndObject();
      });
      return ByteString.fromString("event: control\ndata:" + new String(json, StandardCharsets.UTF_8) + "\n\n");
    }
  }

  // ---- helpers ----

  /** The request body, held to the stream body limit (not the node's 1 MiB sync limit). */
  private Route withBody(HttpRequest request, Function<byte[], Route> inner) {
    if (request.entity().getContentLengthOption().orElse(0L) > settings.maxBodyBytes()) {
      return tooLarge();
    }
    return withSizeLimit(settings.maxBodyBytes(), () ->
        extractStrictEntity(askTimeout, settings.maxBodyBytes(), entity -> inner.apply(entity.getData().toArray())));
  }

  private Route authorized(String id, HttpRequest request, Supplier<Route> inner) {
    Optional<String> bearer = request.getHeader(Authorization.class)
        .map(Authorization::credentials)
        .filter(credentials -> credentials.scheme().equalsIgnoreCase("bearer"))
        .map(HttpCredentials::token);
    return auth.check(request.method(), id, bearer)
        .map(denied -> error(denied.status(), denied.code(), denied.message()))
        .orElseGet(inner);
  }

  /**
   * The request's media type as a stream stores it (no parameters: Pekko adds charset=UTF-8 to
   * every text type), null when the request had no Content-Type header.
   */
  private static String mediaType(HttpRequest request) {
    ContentType type = request.entity().getContentType();
    if (!ExplicitContentType.present(type)) {
      return null;
    }
    return type.mediaType().toString().toLowerCase(Locale.ROOT);
  }

  /** A stored content type as a response header, exactly as stored (text/plain stays without charset). */
  private static ContentType contentType(String stored) {
    try {
      return ContentTypes.parse(stored);
    } catch (RuntimeException e) {
      return ContentTypes.APPLICATION_OCTET_STREAM;
    }
  }

  private static Optional<String> header(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value);
  }

  /** Stream-Forked-From names the source by its path ({@code /v1/stream/id}) or by its id. */
  private static Optional<String> sourceId(String value) {
    String id = value.startsWith(PATH_PREFIX) ? value.substring(PATH_PREFIX.length()) : value;
    return STREAM_ID.matcher(id).matches() ? Optional.of(id) : Optional.empty();
  }

  private static String etag(String id, String from, String to, boolean closed) {
    String path = Base64.getEncoder().encodeToString((PATH_PREFIX + id).getBytes(StandardCharsets.UTF_8));
    return "\"" + path + ":" + from + ":" + to + (closed ? ":c" : "") + "\"";
  }

  private EntityRef<Stream.Command> stream(String id) {
    return sharding.entityRefFor(Stream.ENTITY_TYPE_KEY, id);
  }

  private static StatusCode status(Stream.Refusal reason) {
    return switch (reason) {
      case NOT_FOUND -> StatusCodes.NOT_FOUND;
      case GONE -> StatusCodes.GONE;
      case INVALID, CONTENT_TYPE_MISSING, EPOCH_SEQ -> StatusCodes.BAD_REQUEST;
      case STALE_EPOCH -> StatusCodes.FORBIDDEN;
      case CONFLICT, CONTENT_TYPE_MISMATCH, STREAM_CLOSED, SEQ_CONFLICT, SEQ_GAP -> StatusCodes.CONFLICT;
      case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
    };
  }

  private Route refused(Stream.Refused refused) {
    List<HttpHeader> headers = new ArrayList<>();
    switch (refused.reason()) {
      case STREAM_CLOSED -> {
        headers.add(RawHeader.create(CLOSED, "true"));
        headers.add(RawHeader.create(NEXT_OFFSET, refused.tail()));
      }
      case STALE_EPOCH -> headers.add(RawHeader.create(PRODUCER_EPOCH, Long.toString(refused.currentEpoch())));
      case SEQ_GAP -> {
        headers.add(RawHeader.create("Producer-Expected-Seq", Long.toString(refused.expectedSeq())));
        headers.add(RawHeader.create("Producer-Received-Seq", Long.toString(refused.receivedSeq())));
      }
      default -> { }
    }
    return complete(HttpResponse.create().withStatus(status(refused.reason())).addHeaders(headers)
        .withEntity(ContentTypes.APPLICATION_JSON, JsonCodec.encodeError(refused.reason().name(), refused.message())));
  }

  private ExceptionHandler errors() {
    return JsonErrors.handler("stream", settings.maxBodyBytes());
  }

  private Route tooLarge() {
    return JsonErrors.tooLarge(settings.maxBodyBytes());
  }

}
