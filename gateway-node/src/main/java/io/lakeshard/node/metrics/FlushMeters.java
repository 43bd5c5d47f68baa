package io.lakeshard.node.metrics;

import io.lakeshard.core.flush.FlushObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * One entity family's flushes to the lake, summed over its entities on this node: {@code
 * {prefix}.flush} (committed flushes), {@code .flush.{rows}} and {@code .flush.bytes}, {@code
 * .flush.failures}.
 */
final class FlushMeters implements FlushObserver {
  private final Timer flush;
  private final Counter rows;
  private final Counter bytes;
  private final Counter failures;

  /** {@code prefix}: the family's meter names ({@code lakeshard.gateway}); {@code rows}: what a row is (rows, events). */
  FlushMeters(MeterRegistry registry, String prefix, String rowName, String rowDescription) {
    flush = RequestTimer.timer(registry, prefix + ".flush",
        "committed flushes to the lake (Parquet files and the Iceberg commit)", Tags.empty());
    rows = Counter.builder(prefix + ".flush." + rowName).description(rowDescription + " flushed to the lake")
        .register(registry);
    bytes = Counter.builder(prefix + ".flush.bytes").description("bytes of data files flushed")
        .baseUnit("bytes").register(registry);
    failures = Counter.builder(prefix + ".flush.failures")
        .description("failed flush attempts (each is retried with backoff)").register(registry);
  }

  @Override
  public void flushed(long nanos, long rowCount, long byteCount) {
    flush.record(nanos, TimeUnit.NANOSECONDS);
    rows.increment(rowCount);
    bytes.increment(byteCount);
  }

  @Override
  public void flushFailed() {
    failures.increment();
  }
}
