package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The node's meter registry (one per actor system, so nodes sharing a JVM in tests keep their
 * own) and its meter families, each registered once here and handed to the code it measures as
 * a typed dependency: hot paths only touch pre-registered meters. Scraped at {@code /metrics} on
 * the management port ({@link MetricsRoutes}).
 */
public final class NodeMetrics implements Extension {
  private static final ExtensionId<NodeMetrics> ID = new ExtensionId<>() {
    @Override
    public NodeMetrics createExtension(ActorSystem<?> system) {
      return new NodeMetrics(system);
    }
  };

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final SyncMeters sync;
  private final StreamMeters streams;
  private final LiveStoreMeters liveStore;
  private final GatewayMeters gateways;
  private final RouterMeters router;
  private final ActorSystem<?> system;

  private NodeMetrics(ActorSystem<?> system) {
    // Two of ProcessorMetrics' names fail promtool's lint (an abbreviated unit, a gauge named
    // _count): the CPU count is renamed, the CPU time in ns dropped (process_cpu_usage remains).
    registry.config()
        .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
          }
        });
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    system.getWhenTerminated().thenRun(gc::close);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    sync = new SyncMeters(registry);
    streams = new StreamMeters(registry);
    liveStore = new LiveStoreMeters(registry);
    gateways = new GatewayMeters(registry);
    router = new RouterMeters(registry);
    this.system = system;
  }

  public static NodeMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Counts the entities alive on this node of each type, once sharding runs them. */
  public void countEntities(List<EntityTypeKey<?>> types) {
    EntityCounts.start(system, registry, types);
  }

  /** Every meter in the Prometheus text format (0.0.4). */
  public String scrape() {
    return registry.scrape();
  }

  public SyncMeters sync() {
    return sync;
  }

  public StreamMeters streams() {
    return streams;
  }

  public LiveStoreMeters liveStore() {
    return liveStore;
  }

  public GatewayMeters gateways() {
    return gateways;
  }

  public RouterMeters router() {
    return router;
  }
}
