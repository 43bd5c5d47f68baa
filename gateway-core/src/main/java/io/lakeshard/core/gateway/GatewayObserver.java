package io.lakeshard.core.gateway;

import io.lakeshard.core.flush.FlushObserver;

/**
 * What a gateway reports of its journal writes and flushes, for the node's metrics. Called on the
 * gateway's actor thread, so an implementation must be cheap and must not block (counters, timers).
 */
public interface GatewayObserver extends FlushObserver {
  /** A group of {@code pushes} pushes was journaled in one write of {@code nanos}. */
  void journalWritten(long nanos, int pushes);

  /** Reports nothing: for gateways run without metrics (tests). */
  GatewayObserver NONE = new GatewayObserver() {
    @Override
    public void journalWritten(long nanos, int pushes) {}

    @Override
    public void flushed(long nanos, long rows, long bytes) {}

    @Override
    public void flushFailed() {}
  };
}
