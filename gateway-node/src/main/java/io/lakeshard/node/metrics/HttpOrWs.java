package io.lakeshard.node.metrics;

/** A family's meters on its two transports, HTTP and WebSocket. */
record HttpOrWs<P>(String family, P http, P ws) {
  P on(Transport transport) {
    return switch (transport) {
      case HTTP -> http;
      case WS -> ws;
      case SSE, LONG_POLL -> throw new IllegalArgumentException(family + " has no " + transport.label() + " transport");
    };
  }
}
