package io.lakeshard.node.metrics;

/** How a request reached the node: the {@code transport} label of the request meters. */
public enum Transport {
  HTTP("http"), WS("ws"), SSE("sse"), LONG_POLL("long-poll");

  private final String label;

  Transport(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
