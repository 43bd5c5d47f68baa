package io.lakeshard.node.router;

import io.lakeshard.node.Stages;
import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.RequestTiming;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.metrics.RouterMeters;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's listener: {@code GET /health}, {@code GET /backends}, any {@code OPTIONS} (the
 * preflight, answered here), and every other request forwarded to the backend its {@code x-backend}
 * header names (or the default one) in the registry {@code x-backend-location} picks (or the
 * environment's). Only a backend marked unhealthy is refused; one not checked yet is routed to.
 */
final class RouterHandler implements Function<HttpRequest, CompletionStage<HttpResponse>> {
  private static final Logger log = LoggerFactory.getLogger(RouterHandler.class);
  static final String BACKEND = "x-backend";
  static final String LOCATION = "x-backend-location";
  /** How much of a refused x-backend value an error message repeats. */
  private static final int SHOWN_ID_CHARS = 64;
  private static final String VERSION = Optional.ofNullable(RouterHandler.class.getPackage().getImplementationVersion())
      .orElse("development");

  private final ActorSystem<?> system;
  private final RouterSettings settings;
  private final ClusterBackends cluster;
  private final HealthCache health;
  private final Passthrough passthrough;
  private final Supplier<CompletionStage<Boolean>> nodeReady;
  private final RouterMeters meters;
  private final ServerTiming timing;

  RouterHandler(ActorSystem<?> system, RouterSettings settings, ClusterBackends cluster, HealthCache health,
                Passthrough passthrough, Supplier<CompletionStage<Boolean>> nodeReady, RouterMeters meters,
                ServerTiming timing) {
    this.meters = meters;
    this.timing = timing;
    this.system = system;
    this.settings = settings;
    this.cluster = cluster;
    this.health = health;
    this.passthrough = passthrough;
    this.nodeReady = nodeReady;
  }

  /** Every request, with a Server-Timing header ({@code route}, {@code upstream}) when it is timed. */
  @Override
  public CompletionStage<HttpResponse> apply(HttpRequest request) {
    return timing.start(request)
        .map(timed -> answerSafely(ServerTiming.attach(request, timed))
            .thenApply(response -> response.addHeader(ServerTiming.header(timed))))
        .orElseGet(() -> answerSafely(request));
  }

  /** A failure of the router's own (never the upstream's) is a JSON 500 without details. */
  private CompletionStage<HttpResponse> answerSafely(HttpRequest request) {
    try {
      return answer(request);
    } catch (RuntimeException e) {
      log.error("the router failed on {} {}", request.method().value(), request.getUri().getPathString(), e);
      return answered(request, json(StatusCodes.INTERNAL_SERVER_ERROR,
          new RouterBodies.InternalError("Internal Error", "the router failed on this request")));
    }
  }

  private CompletionStage<HttpResponse> answer(HttpRequest request) {
    String path = request.getUri().getPathString();
    if (request.method().equals(HttpMethods.OPTIONS)) {
      return answered(request, HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)
          .addHeaders(RouterCors.HEADERS).addHeader(RawHeader.create("Access-Control-Max-Age", "86400")));
    }
    if (request.method().equals(HttpMethods.GET) && path.equals("/health")) {
      return health();
    }
    Optional<HttpHeader> locationHeader = request.getHeader(LOCATION);
    Optional<Location> location = locationHeader.map(header -> Location.parse(header.value()))
        .orElse(Optional.of(settings.environment()));
    if (location.isEmpty()) {
      log.info("refused a request: x-backend-location '{}' is neither local nor cloud", shown(locationHeader.get().value()));
      return answered(request, json(StatusCodes.BAD_REQUEST, new RouterBodies.InvalidLocation(
          "x-backend-location must be local or cloud, not '" + shown(locationHeader.get().value()) + "'")));
    }
    Map<String, Backend> registry = registry(location.get());
    if (request.method().equals(HttpMethods.GET) && path.equals("/backends")) {
      return answered(request, json(StatusCodes.OK, backends(registry)));
    }
    return route(request, location.get(), registry);
  }

  private CompletionStage<HttpResponse> route(HttpRequest request, Location location, Map<String, Backend> registry) {
    Optional<String> id = request.getHeader(BACKEND).map(HttpHeader::value).or(settings::defaultBackend);
    Backend backend = id.filter(Backend::validId).map(registry::get).orElse(null);
    if (backend == null) {
      String message = id.map(value -> "Backend '" + shown(value) + "' is not a valid " + location.wire() + " backend")
          .orElse("No x-backend header and no default backend");
      log.info("refused a request for {}: {}", request.getUri().getPathString(), message);
      return answered(request, json(StatusCodes.BAD_REQUEST,
          new RouterBodies.InvalidBackend(message, registry.keySet().stream().sorted().toList())));
    }
    if (health.health(backend, Instant.now()) == HealthCache.Health.UNHEALTHY) {
      log.info("refused a request for {}: backend {} is unhealthy", request.getUri().getPathString(), backend.id());
      return answered(request, json(StatusCodes.SERVICE_UNAVAILABLE,
          new RouterBodies.Unavailable("Backend '" + backend.id() + "' is unhealthy", backend.id())));
    }
    log.debug("routing {} {} to {} ({})", request.method().value(), request.getUri().getPathString(), backend.id(),
        location.wire());
    long started = System.nanoTime();
    return passthrough.forward(backend, request).handle((response, failure) -> {
      ServerTiming.of(request).ifPresent(timed -> timed.add(RequestTiming.Part.UPSTREAM, System.nanoTime() - started));
      if (response != null) {
        meters.answered(backend.id(), started);
        return response;
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      boolean timedOut = cause instanceof Passthrough.UpstreamTimeout;
      meters.failed(backend.id(), timedOut ? RouterMeters.Failure.TIMEOUT : RouterMeters.Failure.UNREACHABLE);
      if (timedOut) {
        log.warn("backend {} did not answer {} {} in time: {}", backend.id(), request.method().value(),
            request.getUri().getPathString(), cause.getMessage());
        return json(StatusCodes.GATEWAY_TIMEOUT, new RouterBodies.GatewayTimeout(settings.upstreamTimeout().toSeconds()));
      }
      log.warn("backend {} could not be reached: {}", backend.id(), cause.getMessage());
      return json(StatusCodes.SERVICE_UNAVAILABLE,
          new RouterBodies.Unavailable("Backend '" + backend.id() + "' could not be reached", backend.id()));
    });
  }

  private Map<String, Backend> registry(Location location) {
    return switch (location) {
      case LOCAL -> settings.localBackends();
      case CLOUD -> cluster.backends();
    };
  }

  private CompletionStage<HttpResponse> health() {
    return Stages.direct(nodeReady.get()).exceptionally(failure -> false).thenApply(ready -> json(
        ready ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE,
        new RouterBodies.Health(ready ? "healthy" : "unhealthy", VERSION, Instant.now().toString(), ready)));
  }

  private RouterBodies.Backends backends(Map<String, Backend> registry) {
    Instant now = Instant.now();
    return new RouterBodies.Backends(registry.values().stream()
        .sorted(Comparator.comparing(Backend::id))
        .map(backend -> {
          HealthCache.Shown shown = health.shown(backend, now);
          return new RouterBodies.BackendHealth(backend.id(), backend.name(), backend.url(), shown.health(),
              shown.lastCheck(), shown.latency());
        })
        .toList());
  }

  /** An answer the router gives itself: the request's body, if any, is read and dropped. */
  private CompletionStage<HttpResponse> answered(HttpRequest request, HttpResponse response) {
    request.discardEntityBytes(system);
    return CompletableFuture.completedFuture(response);
  }

  private static HttpResponse json(StatusCode status, Record body) {
    return JsonBodies.response(status, body).addHeaders(RouterCors.HEADERS);
  }

  private static String shown(String value) {
    return value.length() <= SHOWN_ID_CHARS ? value : value.substring(0, SHOWN_ID_CHARS) + "...";
  }
}
