package io.lakeshard.node.router;

import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.metrics.RouterMeters;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.management.HealthCheckSettings;
import org.apache.pekko.management.javadsl.HealthChecks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The x-backend router of a node: its listener on its own port (off unless one is set) and the
 * health checker. Stateless apart from the health cache, so any node answers any request; the
 * cluster registry it reads is the node's {@link ClusterBackends}. The listener and its upstream
 * connections are Netty's, on a few event-loop threads of their own: a proxied request costs a
 * third of the CPU it did through Pekko HTTP's server and host connection pool (README "Router").
 */
public final class Router {
  private static final Logger log = LoggerFactory.getLogger(Router.class);
  /** The longest request line and header block a client may send (Pekko HTTP's server defaults). */
  private static final int MAX_INITIAL_LINE = 4096;
  private static final int MAX_HEADERS = 8192;

  private Router() {}

  /**
   * Binds the router on {@code host} when its port is set, its checker keeping {@code health}
   * current; empty when the router is off (nothing is checked then). The listener closes with the
   * node (CoordinatedShutdown), its event loops after it.
   */
  public static CompletionStage<Optional<InetSocketAddress>> start(ActorSystem<?> system, RouterSettings settings,
                                                                   String host, ClusterBackends cluster,
                                                                   HealthCache health, Duration unbindTimeout,
                                                                   RouterMeters meters, ServerTiming timing) {
    if (settings.port().isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    settings.localBackends().keySet().forEach(meters::register);
    Supplier<Collection<Backend>> everyBackend = () -> {
      List<Backend> all = new ArrayList<>(settings.localBackends().values());
      all.addAll(cluster.backends().values());
      return all;
    };
    system.systemActorOf(HealthChecker.create(everyBackend, health, settings.healthInterval(), settings.healthTimeout()),
        "router-health", Props.empty());
    HealthChecks readiness = new HealthChecks((ExtendedActorSystem) Adapter.toClassic(system),
        HealthCheckSettings.create(system.settings().config().getConfig("pekko.management.health-checks")));
    RouterService service = new RouterService(settings, cluster, health, readiness::ready, meters);

    NioEventLoopGroup loops = new NioEventLoopGroup(settings.eventLoopThreads(), new DefaultThreadFactory("router"));
    Map<EventExecutor, UpstreamPool> pools = new IdentityHashMap<>();
    SslContext tls = clientTls();
    for (EventExecutor loop : loops) {
      pools.put(loop, new UpstreamPool((EventLoop) loop, settings.maxIdleConnections(),
          (int) settings.connectTimeout().toMillis(), tls));
    }
    long timeoutNanos = settings.upstreamTimeout().toNanos();
    long idleNanos = settings.idleTimeout().toNanos();
    ServerBootstrap server = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, UpstreamConnection.CHUNK_BYTES),
                new ClientIdleTimeout(idleNanos), new HttpServerKeepAliveHandler(), new HttpServerExpectContinueHandler(),
                new RouterConnection(service, timing, pools.get(channel.eventLoop()), timeoutNanos));
          }
        });
    CompletableFuture<Optional<InetSocketAddress>> bound = new CompletableFuture<>();
    server.bind(host, settings.port().getAsInt()).addListener(binding -> {
      if (!binding.isSuccess()) {
        loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        bound.completeExceptionally(binding.cause());
        return;
      }
      Channel listener = ((io.netty.channel.ChannelFuture) binding).channel();
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
      shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "router-unbind", () -> done(listener.close()));
      shutdown.addTask(CoordinatedShutdown.PhaseServiceStop(), "router-event-loops",
          () -> done(loops.shutdownGracefully(0, unbindTimeout.toMillis(), TimeUnit.MILLISECONDS)));
      InetSocketAddress address = (InetSocketAddress) listener.localAddress();
      log.info("x-backend router serving on {} ({} registry by default; local backends {}; {} event loop threads)",
          address, settings.environment().wire(), settings.localBackends().keySet(), settings.eventLoopThreads());
      bound.complete(Optional.of(address));
    });
    return bound;
  }

  /** The JDK's TLS for https:// backends, with its default trust store. */
  private static SslContext clientTls() {
    try {
      return SslContextBuilder.forClient().build();
    } catch (SSLException e) {
      throw new IllegalStateException("the router's TLS client could not be set up", e);
    }
  }

  private static CompletionStage<Done> done(Future<?> future) {
    CompletableFuture<Done> done = new CompletableFuture<>();
    future.addListener(finished -> done.complete(Done.getInstance()));
    return done;
  }
}
