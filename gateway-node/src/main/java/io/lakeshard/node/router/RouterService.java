package io.lakeshard.node.router;

import io.lakeshard.node.Stages;
import io.lakeshard.node.metrics.RouterMeters;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the router does with a request, transport-neutral: {@code GET /health}, {@code GET
 * /backends}, any {@code OPTIONS} (the preflight, answered here), and every other request forwarded
 * to the backend its {@code x-backend} header names (or the default one) in the registry
 * {@code x-backend-location} picks (or the environment's). Only a backend marked unhealthy is
 * refused; one not checked yet is routed to. Every refusal is decided and logged here, once.
 */
final class RouterService {
  private static final Logger log = LoggerFactory.getLogger(RouterService.class);
  static final String BACKEND = "x-backend";
  static final String LOCATION = "x-backend-location";
  /** How much of a refused x-backend value an error message repeats. */
  private static final int SHOWN_ID_CHARS = 64;
  private static final String VERSION = Optional.ofNullable(RouterService.class.getPackage().getImplementationVersion())
      .orElse("development");

  /** The router's decision on one request, made from its method, path and headers (never its body). */
  sealed interface Decision {}

  /** A JSON answer of the router's own (with its CORS headers). */
  record Answer(int status, Record body) implements Decision {}

  /** The CORS preflight: 204 with the CORS headers and {@code Access-Control-Max-Age}. */
  enum Preflight implements Decision { INSTANCE }

  /** {@code GET /health}: {@link #health()} answers, once the node's readiness is known. */
  enum Health implements Decision { INSTANCE }

  /** Forward the request to {@code backend}. */
  record Forward(Backend backend) implements Decision {}

  private final RouterSettings settings;
  private final ClusterBackends cluster;
  private final HealthCache health;
  private final Supplier<CompletionStage<Boolean>> nodeReady;
  private final RouterMeters meters;

  RouterService(RouterSettings settings, ClusterBackends cluster, HealthCache health,
                Supplier<CompletionStage<Boolean>> nodeReady, RouterMeters meters) {
    this.settings = settings;
    this.cluster = cluster;
    this.health = health;
    this.nodeReady = nodeReady;
    this.meters = meters;
  }

  /** The decision on {@code method path} (path decoded, without query); {@code header} reads a request header by name. */
  Decision decide(String method, String path, Function<String, Optional<String>> header) {
    if (method.equals("OPTIONS")) {
      return Preflight.INSTANCE;
    }
    if (method.equals("GET") && path.equals("/health")) {
      return Health.INSTANCE;
    }
    Optional<String> locationHeader = header.apply(LOCATION);
    Optional<Location> location = locationHeader.map(Location::parse).orElse(Optional.of(settings.environment()));
    if (location.isEmpty()) {
      log.info("refused a request: x-backend-location '{}' is neither local nor cloud", shown(locationHeader.get()));
      return new Answer(400, new RouterBodies.InvalidLocation(
          "x-backend-location must be local or cloud, not '" + shown(locationHeader.get()) + "'"));
    }
    Map<String, Backend> registry = registry(location.get());
    if (method.equals("GET") && path.equals("/backends")) {
      return new Answer(200, backends(registry));
    }
    Optional<String> id = header.apply(BACKEND).or(settings::defaultBackend);
    Backend backend = id.filter(Backend::validId).map(registry::get).orElse(null);
    if (backend == null) {
      String message = id.map(value -> "Backend '" + shown(value) + "' is not a valid " + location.get().wire() + " backend")
          .orElse("No x-backend header and no default backend");
      log.info("refused a request for {}: {}", path, message);
      return new Answer(400, new RouterBodies.InvalidBackend(message, registry.keySet().stream().sorted().toList()));
    }
    if (health.health(backend, Instant.now()) == HealthCache.Health.UNHEALTHY) {
      log.info("refused a request for {}: backend {} is unhealthy", path, backend.id());
      return new Answer(503, new RouterBodies.Unavailable("Backend '" + backend.id() + "' is unhealthy", backend.id()));
    }
    if (log.isDebugEnabled()) { // four arguments: an array per request otherwise
      log.debug("routing {} {} to {} ({})", method, path, backend.id(), location.get().wire());
    }
    return new Forward(backend);
  }

  /** The router's {@code /health}: 200 when this node is ready, 503 when not. */
  CompletionStage<Answer> health() {
    return Stages.direct(nodeReady.get()).exceptionally(failure -> false).thenApply(ready -> new Answer(
        ready ? 200 : 503, new RouterBodies.Health(ready ? "healthy" : "unhealthy", VERSION, Instant.now().toString(), ready)));
  }

  /** {@code backend} answered a request forwarded at {@code startedNanos}. */
  void answered(Backend backend, long startedNanos) {
    meters.answered(backend.id(), startedNanos);
  }

  /** A reused connection to {@code backend} failed before it could have served the request: it goes again on a new one. */
  void retried(Backend backend, String method, String path, String reason) {
    log.debug("retrying {} {} to {} on a new connection: the reused one failed ({})", method, path, backend.id(), reason);
  }

  /** The answer to a request {@code backend} gave none to (504 or 503), counted and logged. */
  Answer failed(Backend backend, String method, String path, RouterMeters.Failure failure, String reason) {
    meters.failed(backend.id(), failure);
    return switch (failure) {
      case TIMEOUT -> {
        log.warn("backend {} did not answer {} {} in time: {}", backend.id(), method, path, reason);
        yield new Answer(504, new RouterBodies.GatewayTimeout(settings.upstreamTimeout().toSeconds()));
      }
      case UNREACHABLE -> {
        log.warn("backend {} could not be reached: {}", backend.id(), reason);
        yield new Answer(503, new RouterBodies.Unavailable("Backend '" + backend.id() + "' could not be reached",
            backend.id()));
      }
    };
  }

  /** A failure of the router's own (never the upstream's): a JSON 500 without details. */
  Answer internalError(String method, String path, Throwable failure) {
    log.error("the router failed on {} {}", method, path, failure);
    return new Answer(500, new RouterBodies.InternalError("Internal Error", "the router failed on this request"));
  }

  private Map<String, Backend> registry(Location location) {
    return switch (location) {
      case LOCAL -> settings.localBackends();
      case CLOUD -> cluster.backends();
    };
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

  private static String shown(String value) {
    return value.length() <= SHOWN_ID_CHARS ? value : value.substring(0, SHOWN_ID_CHARS) + "...";
  }
}
