package io.lakeshard.node.router;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.scaladsl.Http;
import org.apache.pekko.http.scaladsl.HttpExt;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.settings.ConnectionPoolSettings;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import scala.Tuple2;
import scala.util.Try;

/**
 * Requests to upstreams through Pekko HTTP's host connection pools: one pool per backend URL,
 * materialized once and fed through a bounded queue. {@code Http.singleRequest} would pass every
 * request through the pool master actor and then the pool's own actor (two hand-offs, each a
 * thread wake-up on a busy node); the queue hands a request straight to the pool's stage. The pools
 * are sized for the router: Pekko's defaults (4 connections, 32 open requests per host) would refuse
 * most of 1 000 concurrent requests.
 */
final class Upstreams {
  /** A backend URL's pool and the base path its requests' paths are appended to. */
  private record Pool(BoundedSourceQueue<Tuple2<org.apache.pekko.http.scaladsl.model.HttpRequest, Answer>> queue,
                      String basePath) {}

  private static final class Answer extends CompletableFuture<HttpResponse> {}

  private final HttpExt http;
  private final Materializer materializer;
  private final org.apache.pekko.http.scaladsl.settings.ConnectionPoolSettings settings;
  private final int queueSize;
  private final LoggingAdapter log;
  private final ConcurrentMap<String, Pool> pools = new ConcurrentHashMap<>();

  Upstreams(ActorSystem<?> system, RouterSettings settings) {
    // Scala companions' generic factories erase to Extension / Object in Java: hence the casts.
    this.http = (HttpExt) Http.get(Adapter.toClassic(system));
    this.materializer = Materializer.matFromSystem(system);
    this.settings = ((ConnectionPoolSettings) org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings
        .create(Adapter.toClassic(system)))
        .withMaxConnections(settings.maxConnections())
        .withMaxOpenRequests(settings.maxOpenRequests())
        .withMaxRetries(settings.maxRetries());
    this.queueSize = settings.maxOpenRequests();
    this.log = Logging.getLogger(Adapter.toClassic(system), Upstreams.class);
  }

  /**
   * The answer of {@code backend} to {@code request}, whose URI is the path and query below the
   * backend's URL (its entity streamed, unread); fails when the pool is full or no connection could
   * carry it.
   */
  CompletionStage<HttpResponse> send(Backend backend, HttpRequest request) {
    Pool pool = pools.computeIfAbsent(backend.url(), this::open);
    Answer answer = new Answer();
    HttpRequest sent = pool.basePath().isEmpty() ? request
        : request.withUri(Uri.create(pool.basePath() + request.getUri().toString()));
    // The model's only implementation is the Scala one the pool takes.
    QueueOfferResult offered = pool.queue().offer(
        Tuple2.apply((org.apache.pekko.http.scaladsl.model.HttpRequest) withCredential(sent, backend), answer));
    if (offered != QueueOfferResult.enqueued()) {
      if (offered == QueueOfferResult.closed() || offered instanceof QueueOfferResult.Failure) {
        pools.remove(backend.url(), pool); // its stream ended: the next request opens a new pool
      }
      answer.completeExceptionally(new IllegalStateException(offered == QueueOfferResult.dropped()
          ? "more than " + queueSize + " requests are waiting for backend " + backend.id()
          : "the connection pool of backend " + backend.id() + " is closed"));
    }
    return answer;
  }

  /** Closes the pools of backends no longer registered (their requests in flight still finish). */
  void retain(Collection<Backend> current) {
    Set<String> urls = current.stream().map(Backend::url).collect(Collectors.toSet());
    pools.entrySet().removeIf(entry -> {
      boolean gone = !urls.contains(entry.getKey());
      if (gone) {
        entry.getValue().queue().complete();
      }
      return gone;
    });
  }

  /**
   * The Scala API's pools: the Java API's {@code newHostConnectionPool(ConnectHttp, ...)} opens TLS
   * connections even to an http:// target (Pekko HTTP 1.3).
   */
  private Pool open(String url) {
    Uri base = Uri.create(url);
    String host = base.host().address();
    var pool = base.scheme().equals("https")
        ? http.<Answer>newHostConnectionPoolHttps(host, base.port(), http.defaultClientHttpsContext(), settings, log,
            materializer)
        : http.<Answer>newHostConnectionPool(host, base.port(), settings, log, materializer);
    BoundedSourceQueue<Tuple2<org.apache.pekko.http.scaladsl.model.HttpRequest, Answer>> queue =
        Source.<Tuple2<org.apache.pekko.http.scaladsl.model.HttpRequest, Answer>>queue(queueSize)
            .via(pool.asJava())
            .to(Sink.foreach(Upstreams::complete))
            .run(materializer);
    return new Pool(queue, base.getPathString());
  }

  private static void complete(Tuple2<Try<org.apache.pekko.http.scaladsl.model.HttpResponse>, Answer> answered) {
    Try<org.apache.pekko.http.scaladsl.model.HttpResponse> response = answered._1();
    if (response.isSuccess()) {
      answered._2().complete(response.get());
    } else {
      answered._2().completeExceptionally(response.failed().get());
    }
  }

  /** {@code request} with the backend's credential, replacing any header of that name the client sent. */
  private static HttpRequest withCredential(HttpRequest request, Backend backend) {
    return backend.credential()
        .map(credential -> request.removeHeader(credential.header())
            .addHeader(RawHeader.create(credential.header(), credential.value())))
        .orElse(request);
  }
}
