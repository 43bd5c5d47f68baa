package io.lakeshard.node.router;

import io.lakeshard.node.Stages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * One request forwarded to a backend and its answer back, both bodies streamed (never read whole:
 * a 1 GiB upload or download passes through a few buffers), without hop-by-hop headers, with
 * {@code X-Forwarded-For/-Proto/-Host}, the backend's credential and the router's CORS headers.
 * The upstream timeout counts from the moment the request's body has been sent, so a large upload
 * is not cut off while it is still being written.
 */
final class Passthrough {
  /** Hop-by-hop headers (RFC 9110 §7.6.1), Host (the client sets the upstream's), and Pekko's synthetic ones. */
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
      "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host",
      "timeout-access", "remote-address", "raw-request-uri", "tls-session-info",
      "x-forwarded-proto", "x-forwarded-host");
  private static final String FORWARDED_FOR = "x-forwarded-for";

  /** The upstream did not answer within the timeout after the request body was sent. */
  static final class UpstreamTimeout extends TimeoutException {
    UpstreamTimeout(Duration timeout) {
      super("no answer within " + timeout.toMillis() + " ms");
    }
  }

  private final ActorSystem<?> system;
  private final Upstreams upstreams;
  private final Duration timeout;

  Passthrough(ActorSystem<?> system, Upstreams upstreams, Duration timeout) {
    this.system = system;
    this.upstreams = upstreams;
    this.timeout = timeout;
  }

  /** The backend's answer with the router's headers; fails with {@link UpstreamTimeout} or the connection's failure. */
  CompletionStage<HttpResponse> forward(Backend backend, HttpRequest request) {
    CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
    CompletableFuture<Void> bodySent = new CompletableFuture<>();
    HttpRequest upstream = HttpRequest.create()
        .withMethod(request.method())
        .withUri(request.getUri().toRelative()) // the path and raw query as parsed once, %2F kept as sent
        .addHeaders(forwardedHeaders(request))
        .withEntity(watched(unlimited(request.entity()), bodySent));
    upstreams.send(backend, upstream).whenComplete((response, failure) -> {
      if (failure != null) {
        answer.completeExceptionally(failure);
      } else if (!answer.complete(response.withHeaders(answerHeaders(response))
          .withEntity(unlimited(response.entity())))) {
        response.discardEntityBytes(system); // answered 504 already: free the pooled connection
      }
    });
    bodySent.thenRun(() -> {
      Cancellable timer = system.scheduler().scheduleOnce(timeout,
          () -> answer.completeExceptionally(new UpstreamTimeout(timeout)), system.executionContext());
      answer.whenComplete((response, failure) -> timer.cancel());
    });
    return answer;
  }

  /**
   * The entity without the configured size limit (bodies are streamed through, never held). A strict
   * entity stays strict: Pekko's {@code withoutSizeLimit} would turn it into a one-element stream,
   * which costs a substream per request and per answer.
   */
  @SuppressWarnings("unchecked")
  private static <T extends HttpEntity> T unlimited(T entity) {
    return entity.isStrict() ? entity : (T) entity.withoutSizeLimit();
  }

  /** A strict body is sent at once; a streamed one completes {@code sent} once the pool has written its last byte. */
  private static RequestEntity watched(RequestEntity entity, CompletableFuture<Void> sent) {
    if (entity.isStrict()) {
      sent.complete(null);
      return entity;
    }
    Source<ByteString, ?> data = entity.getDataBytes().watchTermination((materialized, done) -> {
      Stages.direct(done).whenComplete((finished, failure) -> sent.complete(null));
      return materialized;
    });
    return entity.getContentLengthOption().isPresent()
        ? HttpEntities.create(entity.getContentType(), entity.getContentLengthOption().getAsLong(), data)
        : HttpEntities.createChunked(entity.getContentType(), data);
  }

  private static List<HttpHeader> forwardedHeaders(HttpRequest request) {
    Set<String> dropped = withConnectionTokens(request.getHeaders());
    List<HttpHeader> headers = new ArrayList<>();
    Optional<String> forwardedFor = Optional.empty();
    for (HttpHeader header : request.getHeaders()) {
      if (header.is(FORWARDED_FOR)) {
        forwardedFor = Optional.of(forwardedFor.map(earlier -> earlier + ", ").orElse("") + header.value());
      } else if (!dropped.contains(header.lowercaseName())) {
        headers.add(header);
      }
    }
    Optional<String> client = request.getAttribute(AttributeKeys.remoteAddress)
        .flatMap(address -> address.getAddress()).map(address -> address.getHostAddress());
    if (client.isPresent()) {
      forwardedFor = Optional.of(forwardedFor.map(earlier -> earlier + ", ").orElse("") + client.get());
    }
    forwardedFor.ifPresent(value -> headers.add(RawHeader.create("X-Forwarded-For", value)));
    headers.add(RawHeader.create("X-Forwarded-Proto", request.getUri().getScheme()));
    request.getHeader("Host").ifPresent(host -> headers.add(RawHeader.create("X-Forwarded-Host", host.value())));
    return headers;
  }

  /** The upstream's headers without hop-by-hop ones and without its CORS headers, then the router's CORS. */
  private static List<HttpHeader> answerHeaders(HttpResponse response) {
    Set<String> dropped = withConnectionTokens(response.getHeaders());
    List<HttpHeader> headers = new ArrayList<>();
    for (HttpHeader header : response.getHeaders()) {
      if (!dropped.contains(header.lowercaseName()) && !RouterCors.replaces(header)) {
        headers.add(header);
      }
    }
    headers.addAll(RouterCors.HEADERS);
    return headers;
  }

  /** The headers never forwarded, plus those the message's Connection header names (also hop-by-hop). */
  private static Set<String> withConnectionTokens(Iterable<HttpHeader> headers) {
    Set<String> dropped = NOT_FORWARDED;
    for (HttpHeader header : headers) {
      if (header.is("connection")) {
        if (dropped == NOT_FORWARDED) {
          dropped = new HashSet<>(NOT_FORWARDED); // copied only for the rare message that names extra ones
        }
        for (String token : header.value().split(",")) {
          dropped.add(token.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    return dropped;
  }
}
