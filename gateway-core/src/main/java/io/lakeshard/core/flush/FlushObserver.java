package io.lakeshard.core.flush;

/**
 * What an entity that flushes to the lake (a gateway, a LiveStore store) reports of its flushes,
 * for the node's metrics. Called on the entity's actor thread, so an implementation must be cheap
 * and must not block (counters, timers).
 */
public interface FlushObserver {
  /** A flush committed {@code rows} rows (deltas, events) in {@code bytes} of data files, in {@code nanos}. */
  void flushed(long nanos, long rows, long bytes);

  /** A flush attempt failed (it will be retried with backoff). */
  void flushFailed();

  /** Reports nothing: for entities run without metrics (tests). */
  FlushObserver NONE = new FlushObserver() {
    @Override
    public void flushed(long nanos, long rows, long bytes) {}

    @Override
    public void flushFailed() {}
  };
}
