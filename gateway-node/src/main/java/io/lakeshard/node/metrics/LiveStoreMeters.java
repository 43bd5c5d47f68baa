package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/** LiveStore pushes and pulls on its two transports, and its open WebSocket sessions. */
public final class LiveStoreMeters {
  private static final String REQUESTS = "lakeshard.livestore.requests";
  private static final String DESCRIPTION = "LiveStore requests, by operation, transport and outcome";

  private final HttpOrWs<PushPull> paths;
  private final OpenCount webSockets;

  LiveStoreMeters(MeterRegistry registry) {
    paths = new HttpOrWs<>("LiveStore", PushPull.register(registry, REQUESTS, DESCRIPTION, Transport.HTTP),
        PushPull.register(registry, REQUESTS, DESCRIPTION, Transport.WS));
    webSockets = new OpenCount(registry, "lakeshard.websocket.sessions", "open WebSocket sessions",
        Tags.of("family", "livestore"));
  }

  public PushPull on(Transport transport) {
    return paths.on(transport);
  }

  public OpenCount webSockets() {
    return webSockets;
  }
}
