package io.lakeshard.node.router;

import io.lakeshard.node.Stages;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ConnectionPoolSettings;

/**
 * Requests to upstreams through Pekko HTTP's pooled client (one pool per upstream host), sized for
 * the router: Pekko's defaults (4 connections, 32 open requests per host) would refuse most of
 * 1 000 concurrent requests with "Exceeded configured max-open-requests".
 */
final class Upstreams {
  private final Http http;
  private final HttpsConnectionContext https;
  private final ConnectionPoolSettings pool;
  private final LoggingAdapter log;

  Upstreams(ActorSystem<?> system, RouterSettings settings) {
    this.http = Http.get(system);
    this.https = http.defaultClientHttpsContext();
    this.pool = ConnectionPoolSettings.create(Adapter.toClassic(system))
        .withMaxConnections(settings.maxConnections())
        .withMaxOpenRequests(settings.maxOpenRequests())
        .withMaxRetries(settings.maxRetries());
    this.log = Logging.getLogger(Adapter.toClassic(system), Upstreams.class);
  }

  /** The upstream's answer (its entity streamed, unread); fails when no connection could carry it. */
  CompletionStage<HttpResponse> send(HttpRequest request) {
    return Stages.direct(http.singleRequest(request, https, pool, log));
  }

  /** {@code request} with the backend's credential, replacing any header of that name the client sent. */
  static HttpRequest withCredential(HttpRequest request, Backend backend) {
    return backend.credential()
        .map(credential -> request.removeHeader(credential.header())
            .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create(credential.header(), credential.value())))
        .orElse(request);
  }
}
