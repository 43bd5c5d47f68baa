package io.lakeshard.node.stream;

import static io.lakeshard.node.http.JsonErrors.Family.STREAMS;
import static io.lakeshard.node.stream.StreamHeaders.CLOSED;
import static io.lakeshard.node.stream.StreamHeaders.CURSOR;
import static io.lakeshard.node.stream.StreamHeaders.NEXT_OFFSET;
import static io.lakeshard.node.stream.StreamHeaders.PRODUCER_EPOCH;
import static io.lakeshard.node.stream.StreamHeaders.PRODUCER_SEQ;
import static io.lakeshard.node.stream.StreamHeaders.UP_TO_DATE;

import io.lakeshard.core.stream.JsonMode;
import io.lakeshard.core.stream.Offsets;
import io.lakeshard.core.stream.StreamCursor;
import io.lakeshard.core.stream.StreamProtocol;
import io.lakeshard.node.http.Bearer;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.node.http.RequestBodies;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.stream.StreamOutcome.Rejected;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
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
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * HTTP surface of the Durable Streams protocol at {@code /v1/stream/{id}}: read the request
 * ({@link StreamHeaders}), call {@link StreamService}, map its outcome to a status and the
 * protocol's headers. Every response carries the CORS and browser-security headers.
 */
public final class StreamRoutes extends AllDirectives {
  private final StreamService service;
  private final RequestBodies bodies;
  private final Clock clock = Clock.systemUTC();

  public StreamRoutes(StreamService service, RequestBodies bodies) {
    this.service = service;
    this.bodies = bodies;
  }

  /** Only {@code /v1/stream/...}; anything else is left to the routes concatenated after this. */
  public Route routes() {
    return pathPrefix(PathMatchers.segment("v1").slash("stream"), () ->
        respondWithHeaders(StreamHeaders.COMMON, () -> handleExceptions(
            JsonErrors.handler(STREAMS, "stream", service.maxBodyBytes()), () ->
            path(PathMatchers.segment(), id -> extractRequest(request -> Bearer.token(bearer ->
                dispatch(id, request, new StreamService.Caller(bearer))))))));
  }

  private Route dispatch(String id, HttpRequest request, StreamService.Caller caller) {
    if (request.method().equals(HttpMethods.OPTIONS)) {
      return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)
          .addHeader(RawHeader.create("Access-Control-Max-Age", "86400")));
    }
    String method = request.method().value();
    return switch (method) {
      case "PUT" -> withBody(body -> answer(() -> service.create(caller, id, StreamHeaders.create(request, body)),
          outcome -> created(id, request, outcome)));
      case "POST" -> withBody(body -> answer(() -> service.append(caller, id, StreamHeaders.append(request, body)),
          this::appended));
      case "GET" -> read(caller, StreamHeaders.read(id, request), request);
      // A HEAD answer has no body, so a refusal is its status alone.
      case "HEAD" -> ServerTiming.entity(() -> service.head(caller, id), outcome -> outcome instanceof StreamOutcome.Refused refused
          ? complete(HttpResponse.create().withStatus(status(refused.refused().reason())))
          : outcome(outcome, described -> described(id, described)));
      case "DELETE" -> answer(() -> service.delete(caller, id), outcome -> complete(StatusCodes.NO_CONTENT));
      default -> JsonErrors.error(STREAMS, StatusCodes.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED",
          method + " is not supported on streams");
    };
  }

  /** Refusals map the same for every operation; {@code success} maps the rest. */
  private Route answer(Supplier<CompletionStage<StreamOutcome>> outcome, Function<StreamOutcome, Route> success) {
    return ServerTiming.entity(outcome, result -> outcome(result, success));
  }

  private Route outcome(StreamOutcome result, Function<StreamOutcome, Route> success) {
    if (result instanceof Rejected rejected) {
      return JsonErrors.error(STREAMS, status(rejected.reason()), rejected.code(), rejected.message());
    }
    if (result instanceof StreamOutcome.Refused refused) {
      return refused(refused.refused());
    }
    return success.apply(result);
  }

  private Route created(String id, HttpRequest request, StreamOutcome outcome) {
    StreamOutcome.Created created = (StreamOutcome.Created) outcome;
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create(NEXT_OFFSET, created.meta().tail()));
    if (created.meta().closed()) {
      headers.add(RawHeader.create(CLOSED, "true"));
    }
    HttpResponse response = HttpResponse.create().addHeaders(headers)
        .withEntity(HttpEntities.create(contentType(created.meta().contentType()), new byte[0]));
    if (!created.isNew()) {
      return complete(response);
    }
    return complete(response.withStatus(StatusCodes.CREATED).addHeader(RawHeader.create("Location",
        request.getUri().path(StreamService.PATH_PREFIX + id).query(Query.EMPTY).toString())));
  }

  private Route appended(StreamOutcome outcome) {
    List<HttpHeader> headers = new ArrayList<>();
    if (outcome instanceof StreamOutcome.Duplicate duplicate) {
      StreamProtocol.Duplicate known = duplicate.duplicate();
      headers.add(RawHeader.create(NEXT_OFFSET, known.offset()));
      headers.add(RawHeader.create(PRODUCER_EPOCH, Long.toString(known.epoch())));
      headers.add(RawHeader.create(PRODUCER_SEQ, Long.toString(known.lastSeq())));
      if (known.closed()) {
        headers.add(RawHeader.create(CLOSED, "true"));
      }
      return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT).addHeaders(headers));
    }
    StreamOutcome.Appended appended = (StreamOutcome.Appended) outcome;
    headers.add(RawHeader.create(NEXT_OFFSET, appended.offset()));
    if (appended.closed()) {
      headers.add(RawHeader.create(CLOSED, "true"));
    }
    boolean withProducer = appended.producer() != null;
    if (withProducer) {
      headers.add(RawHeader.create(PRODUCER_EPOCH, Long.toString(appended.producer().epoch())));
      headers.add(RawHeader.create(PRODUCER_SEQ, Long.toString(appended.producer().seq())));
    }
    return complete(HttpResponse.create()
        .withStatus(withProducer && !appended.closeOnly() ? StatusCodes.OK : StatusCodes.NO_CONTENT).addHeaders(headers));
  }

  private Route described(String id, StreamOutcome outcome) {
    StreamProtocol.Meta meta = ((StreamOutcome.Described) outcome).meta();
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create(NEXT_OFFSET, meta.tail()));
    headers.add(RawHeader.create("Cache-Control", "no-store"));
    headers.add(RawHeader.create("ETag", etag(id, Offsets.BEGINNING, meta.tail(), meta.closed())));
    if (meta.closed()) {
      headers.add(RawHeader.create(CLOSED, "true"));
    }
    if (meta.ttlSeconds() != null) {
      headers.add(RawHeader.create(StreamHeaders.TTL, Long.toString(meta.ttlSeconds())));
    }
    if (meta.expiresAt() != null) {
      headers.add(RawHeader.create(StreamHeaders.EXPIRES_AT, meta.expiresAt()));
    }
    return complete(HttpResponse.create().addHeaders(headers)
        .withEntity(HttpEntities.create(contentType(meta.contentType()), new byte[0])));
  }

  // ---- reads ----

  private Route read(StreamService.Caller caller, StreamService.Read read, HttpRequest request) {
    Route route = answer(() -> service.read(caller, read), outcome -> {
      if (outcome instanceof StreamOutcome.Subscribed subscribed) {
        return sse(subscribed);
      }
      if (outcome instanceof StreamOutcome.NothingNew nothing) {
        return nothingNew(nothing);
      }
      return page((StreamOutcome.Page) outcome, request);
    });
    // A live read outlives Pekko's request-timeout (20 s by default) when the long-poll timeout is longer.
    return read.longPoll() ? withRequestTimeout(service.liveTimeout(), () -> route) : route;
  }

  private Route nothingNew(StreamOutcome.NothingNew nothing) {
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create(NEXT_OFFSET, nothing.timedOut().offset()));
    headers.add(RawHeader.create(UP_TO_DATE, "true"));
    headers.add(RawHeader.create(CURSOR, StreamCursor.next(nothing.request().cursor(), clock)));
    if (nothing.timedOut().meta().closed()) {
      headers.add(RawHeader.create(CLOSED, "true"));
    }
    return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT).addHeaders(headers));
  }

  private Route page(StreamOutcome.Page page, HttpRequest request) {
    StreamProtocol.Chunk chunk = page.chunk();
    StreamService.Read read = page.request();
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create(NEXT_OFFSET, chunk.next()));
    if (chunk.upToDate()) {
      headers.add(RawHeader.create(UP_TO_DATE, "true"));
    }
    if (chunk.closedAtTail()) {
      headers.add(RawHeader.create(CLOSED, "true"));
    }
    if (read.longPoll()) {
      headers.add(RawHeader.create(CURSOR, StreamCursor.next(read.cursor(), clock)));
      if (chunk.messages().isEmpty() && chunk.closedAtTail()) {
        return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT).addHeaders(headers));
      }
    }
    if (Offsets.NOW.equals(read.from())) {
      // The tail moves with every append: never cache it (and so no ETag either).
      headers.add(RawHeader.create("Cache-Control", "no-store"));
    } else {
      String etag = etag(read.id(), read.from(), chunk.next(), chunk.closedAtTail());
      headers.add(RawHeader.create("ETag", etag));
      if (StreamHeaders.header(request, "If-None-Match").filter(etag::equals).isPresent()) {
        return complete(HttpResponse.create().withStatus(StatusCodes.NOT_MODIFIED).addHeaders(headers));
      }
    }
    return complete(HttpResponse.create().addHeaders(headers)
        .withEntity(HttpEntities.create(contentType(chunk.meta().contentType()), body(chunk))));
  }

  private static byte[] body(StreamProtocol.Chunk chunk) {
    List<StreamProtocol.Message> messages = chunk.messages();
    if (JsonMode.isJson(chunk.meta().contentType())) {
      return JsonMode.array(messages.stream().map(StreamProtocol.Message::data).toList());
    }
    int size = 0;
    for (StreamProtocol.Message message : messages) {
      size += message.data().length;
    }
    byte[] out = new byte[size];
    int at = 0;
    for (StreamProtocol.Message message : messages) {
      System.arraycopy(message.data(), 0, out, at, message.data().length);
      at += message.data().length;
    }
    return out;
  }

  /**
   * live=sse: a chunked event stream that reads on from the last delivered offset, asking the
   * entity again after each answer; once caught up each ask waits in the entity for the next append.
   */
  private Route sse(StreamOutcome.Subscribed subscribed) {
    StreamService.Read read = subscribed.request();
    SseFraming framing = new SseFraming(subscribed.first().meta().contentType(), clock);
    List<ByteString> opening = new ArrayList<>();
    SseFraming.Position start = framing.render(subscribed.first(),
        new SseFraming.Position(read.from(), false, false, read.cursor()), opening);
    Source<ByteString, ?> rest = Source.unfoldAsync(start, position -> {
      if (position.done()) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      return service.follow(read.id(), position.offset(), position.caughtUp()).thenApply(reply -> {
        List<ByteString> out = new ArrayList<>();
        SseFraming.Position next = framing.render(reply, position, out);
        return Optional.of(Pair.create(next, out));
      });
    }).mapConcat(events -> events);
    List<HttpHeader> headers = new ArrayList<>();
    headers.add(RawHeader.create("Cache-Control", "no-cache"));
    if (framing.base64()) {
      headers.add(RawHeader.create(StreamHeaders.SSE_DATA_ENCODING, "base64"));
    }
    return complete(HttpResponse.create().addHeaders(headers).withEntity(HttpEntities.createChunked(
        ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM),
        service.sseReaders().counting(Source.from(opening).concat(rest)))));
  }

  // ---- helpers ----

  /** The request body, held to the stream body limit (not the node's 1 MiB sync limit). */
  private Route withBody(Function<byte[], Route> inner) {
    return bodies.strict(service.maxBodyBytes(), inner);
  }

  /** A stored content type as a response header, exactly as stored (text/plain stays without charset). */
  private static ContentType contentType(String stored) {
    try {
      return ContentTypes.parse(stored);
    } catch (RuntimeException e) {
      return ContentTypes.APPLICATION_OCTET_STREAM;
    }
  }

  private static String etag(String id, String from, String to, boolean closed) {
    String path = Base64.getEncoder().encodeToString((StreamService.PATH_PREFIX + id).getBytes(StandardCharsets.UTF_8));
    return "\"" + path + ":" + from + ":" + to + (closed ? ":c" : "") + "\"";
  }

  private static StatusCode status(StreamOutcome.Rejection reason) {
    return switch (reason) {
      case BAD_REQUEST -> StatusCodes.BAD_REQUEST;
      case UNAUTHORIZED -> StatusCodes.UNAUTHORIZED;
      case FORBIDDEN -> StatusCodes.FORBIDDEN;
      case TOO_LARGE -> StatusCodes.CONTENT_TOO_LARGE;
    };
  }

  private static StatusCode status(StreamProtocol.Refusal reason) {
    return switch (reason) {
      case NOT_FOUND, SOURCE_NOT_FOUND -> StatusCodes.NOT_FOUND;
      case GONE -> StatusCodes.GONE;
      case INVALID, CONTENT_TYPE_MISSING, EPOCH_SEQ -> StatusCodes.BAD_REQUEST;
      case STALE_EPOCH -> StatusCodes.FORBIDDEN;
      case CONFLICT, CONTENT_TYPE_MISMATCH, STREAM_CLOSED, SEQ_CONFLICT, SEQ_GAP, SOURCE_GONE -> StatusCodes.CONFLICT;
      case UNAVAILABLE, JOURNAL_UNAVAILABLE, OVERLOADED -> StatusCodes.SERVICE_UNAVAILABLE;
    };
  }

  private Route refused(StreamProtocol.Refused refused) {
    if (refused.reason() == StreamProtocol.Refusal.JOURNAL_UNAVAILABLE
        || refused.reason() == StreamProtocol.Refusal.OVERLOADED) {
      return JsonErrors.retryLater(STREAMS, refused.reason().name(), refused.message(), service.journalRetryAfter());
    }
    List<HttpHeader> headers = new ArrayList<>();
    switch (refused.reason()) {
      case STREAM_CLOSED -> {
        headers.add(RawHeader.create(CLOSED, "true"));
        headers.add(RawHeader.create(NEXT_OFFSET, refused.tail()));
      }
      case STALE_EPOCH -> headers.add(RawHeader.create(PRODUCER_EPOCH, Long.toString(refused.currentEpoch())));
      case SEQ_GAP -> {
        headers.add(RawHeader.create(StreamHeaders.PRODUCER_EXPECTED_SEQ, Long.toString(refused.expectedSeq())));
        headers.add(RawHeader.create(StreamHeaders.PRODUCER_RECEIVED_SEQ, Long.toString(refused.receivedSeq())));
      }
      default -> { }
    }
    return respondWithHeaders(headers, () ->
        JsonErrors.error(STREAMS, status(refused.reason()), refused.reason().name(), refused.message()));
  }
}
