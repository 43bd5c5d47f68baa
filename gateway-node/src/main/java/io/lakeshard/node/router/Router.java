package io.lakeshard.node.router;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.metrics.RouterMeters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.management.HealthCheckSettings;
import org.apache.pekko.management.javadsl.HealthChecks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The x-backend router of a node: its listener on its own port (off unless one is set), the health
 * checker and the pooled client. Stateless apart from the health cache, so any node answers any
 * request; the cluster registry it reads is the node's {@link ClusterBackends}.
 */
public final class Router {
  private static final Logger log = LoggerFactory.getLogger(Router.class);
  /**
   * The router's own server settings: bodies of any size (they are streamed, never held), no
   * server-side request timeout (the upstream timeout answers 504 first), and the client's address
   * for X-Forwarded-For.
   */
  private static final String SERVER_SETTINGS = """
      pekko.http.server {
        parsing.max-content-length = infinite
        request-timeout = infinite
        remote-address-attribute = on
      }""";

  private Router() {}

  /**
   * Binds the router on {@code host} when its port is set, its checker keeping {@code health}
   * current; empty when the router is off (nothing is checked then).
   */
  public static CompletionStage<Optional<ServerBinding>> start(ActorSystem<?> system, RouterSettings settings, String host,
                                                                ClusterBackends cluster, HealthCache health,
                                                                Duration unbindTimeout, RouterMeters meters,
                                                                ServerTiming timing) {
    if (settings.port().isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Upstreams upstreams = new Upstreams(system, settings);
    settings.localBackends().keySet().forEach(meters::register);
    Supplier<Collection<Backend>> everyBackend = () -> {
      List<Backend> all = new ArrayList<>(settings.localBackends().values());
      all.addAll(cluster.backends().values());
      return all;
    };
    system.systemActorOf(HealthChecker.create(everyBackend, upstreams, health, settings.healthInterval(),
        settings.healthTimeout()), "router-health", Props.empty());
    HealthChecks readiness = new HealthChecks((ExtendedActorSystem) Adapter.toClassic(system),
        HealthCheckSettings.create(system.settings().config().getConfig("pekko.management.health-checks")));
    RouterHandler handler = new RouterHandler(system, settings, cluster, health,
        new Passthrough(system, upstreams, settings.upstreamTimeout()), readiness::ready, meters, timing);
    ServerSettings server = ServerSettings.create(ConfigFactory.parseString(SERVER_SETTINGS)
        .withFallback(system.settings().config()));
    return Http.get(system).newServerAt(host, settings.port().getAsInt()).withSettings(server).bind(handler)
        .thenApply(binding -> {
          binding.addToCoordinatedShutdown(unbindTimeout, system);
          log.info("x-backend router serving on {} ({} registry by default; local backends {})", binding.localAddress(),
              settings.environment().wire(), settings.localBackends().keySet());
          return Optional.of(binding);
        });
  }
}
