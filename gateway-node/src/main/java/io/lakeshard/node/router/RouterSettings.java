package io.lakeshard.node.router;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Typed settings of the x-backend router, from {@code lakeshard.router.*} (reference in the node's
 * application.conf) and the environment ({@code BACKEND_<ID>_URL}, credentials).
 */
public record RouterSettings(
    OptionalInt port,
    Location environment,
    Optional<String> defaultBackend,
    Map<String, Backend> localBackends,
    Duration upstreamTimeout,
    Duration idleTimeout,
    Duration healthInterval,
    Duration healthTimeout,
    Duration healthCacheTtl,
    int eventLoopThreads,
    int maxIdleConnections,
    Duration connectTimeout,
    Duration registryWriteTimeout) {

  public RouterSettings {
    localBackends = Map.copyOf(localBackends);
  }

  public static RouterSettings fromConfig(Config config, Map<String, String> env) {
    Config router = config.getConfig("lakeshard.router");
    String environment = router.getString("environment");
    Location location = Location.parse(environment).orElseThrow(() -> new IllegalArgumentException(
        "lakeshard.router.environment (LAKESHARD_ROUTER_ENVIRONMENT) must be local or cloud, not '" + environment + "'"));
    String defaultBackend = router.getString("default-backend");
    if (!defaultBackend.isEmpty() && !Backend.validId(defaultBackend)) {
      throw new IllegalArgumentException("LAKESHARD_ROUTER_DEFAULT_BACKEND is no backend id: '" + defaultBackend + "'");
    }
    Config entries = router.getConfig("backends").withFallback(LocalBackends.file(router.getString("backends-file")));
    return new RouterSettings(
        router.hasPath("port") ? OptionalInt.of(router.getInt("port")) : OptionalInt.empty(),
        location,
        Optional.of(defaultBackend).filter(id -> !id.isEmpty()),
        LocalBackends.read(entries, env),
        router.getDuration("upstream-timeout"),
        router.getDuration("idle-timeout"),
        router.getDuration("health.interval"),
        router.getDuration("health.timeout"),
        router.getDuration("health.cache-ttl"),
        router.getInt("event-loop-threads"),
        router.getInt("pool.max-idle-connections"),
        router.getDuration("pool.connect-timeout"),
        router.getDuration("registry.write-timeout"));
  }
}
