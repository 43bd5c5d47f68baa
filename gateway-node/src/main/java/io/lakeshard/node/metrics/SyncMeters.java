package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/** Push and pull on the sync routes (HTTP) and sessions (WebSocket): {@code SyncService} records them. */
public final class SyncMeters {
  /** One transport's meters. */
  public record Path(RequestTimer push, RequestTimer pull, Counter deltas) {}

  private final HttpOrWs<Path> paths;
  private final Counter backpressure;
  private final OpenCount webSockets;

  SyncMeters(MeterRegistry registry) {
    paths = new HttpOrWs<>("sync", path(registry, Transport.HTTP), path(registry, Transport.WS));
    backpressure = Counter.builder("lakeshard.sync.backpressure")
        .description("pushes refused with 503 BACKPRESSURE (or close 1013): the gateway's unflushed buffer was full")
        .register(registry);
    webSockets = new OpenCount(registry, "lakeshard.websocket.sessions", "open WebSocket sessions",
        Tags.of("family", "sync"));
  }

  private static Path path(MeterRegistry registry, Transport transport) {
    PushPull requests = PushPull.register(registry, "lakeshard.sync.requests",
        "sync requests, by operation, transport and outcome", transport);
    return new Path(requests.push(), requests.pull(), Counter.builder("lakeshard.sync.deltas")
        .description("deltas in accepted pushes").tags("transport", transport.label()).register(registry));
  }

  /** HTTP or WebSocket (the only two sync transports). */
  public Path on(Transport transport) {
    return paths.on(transport);
  }

  /** Pushes served (HTTP and WebSocket) since the node started: the admin page's throughput. */
  public long pushesServed() {
    return paths.http().push().count(RequestTimer.Outcome.OK) + paths.ws().push().count(RequestTimer.Outcome.OK);
  }

  /** Deltas in accepted pushes (HTTP and WebSocket) since the node started. */
  public long deltasAccepted() {
    return (long) (paths.http().deltas().count() + paths.ws().deltas().count());
  }

  public Counter backpressure() {
    return backpressure;
  }

  public OpenCount webSockets() {
    return webSockets;
  }
}
