package io.lakeshard.node.metrics;

import io.lakeshard.core.flush.FlushObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/** LiveStore pushes and pulls on its two transports, its open WebSocket sessions, and its stores' flushes. */
public final class LiveStoreMeters {
  private static final String REQUESTS = "lakeshard.livestore.requests";
  private static final String DESCRIPTION = "LiveStore requests, by operation, transport and outcome";

  private final HttpOrWs<PushPull> paths;
  private final OpenCount webSockets;
  private final FlushMeters flushes;

  LiveStoreMeters(MeterRegistry registry) {
    paths = new HttpOrWs<>("LiveStore", PushPull.register(registry, REQUESTS, DESCRIPTION, Transport.HTTP),
        PushPull.register(registry, REQUESTS, DESCRIPTION, Transport.WS));
    webSockets = new OpenCount(registry, "lakeshard.websocket.sessions", "open WebSocket sessions",
        Tags.of("family", "livestore"));
    flushes = new FlushMeters(registry, "lakeshard.livestore", "events", "events");
  }

  public PushPull on(Transport transport) {
    return paths.on(transport);
  }

  public OpenCount webSockets() {
    return webSockets;
  }

  /** What the node's stores report of their flushes. */
  public FlushObserver flushes() {
    return flushes;
  }
}
