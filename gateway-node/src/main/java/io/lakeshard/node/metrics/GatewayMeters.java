package io.lakeshard.node.metrics;

import io.lakeshard.core.gateway.GatewayObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Every gateway's journal group commits and flushes, summed over the gateways of this node. */
public final class GatewayMeters implements GatewayObserver {
  private final Timer journalWrite;
  private final DistributionSummary groupPushes;
  private final Timer flush;
  private final Counter flushRows;
  private final Counter flushBytes;
  private final Counter flushFailures;

  GatewayMeters(MeterRegistry registry) {
    journalWrite = RequestTimer.timer(registry, "lakeshard.gateway.journal.write",
        "one group commit of pushes to the journal, from the gateway's send to the ledger's answer", Tags.empty());
    groupPushes = DistributionSummary.builder("lakeshard.gateway.journal.group.pushes")
        .description("pushes journaled together in one write (group commit)")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
    flush = RequestTimer.timer(registry, "lakeshard.gateway.flush",
        "committed flushes to the lake (Parquet files and the Iceberg commit)", Tags.empty());
    flushRows = Counter.builder("lakeshard.gateway.flush.rows").description("deltas flushed to the lake")
        .register(registry);
    flushBytes = Counter.builder("lakeshard.gateway.flush.bytes").description("bytes of data files flushed")
        .baseUnit("bytes").register(registry);
    flushFailures = Counter.builder("lakeshard.gateway.flush.failures")
        .description("failed flush attempts (each is retried with backoff)").register(registry);
  }

  @Override
  public void journalWritten(long nanos, int pushes) {
    journalWrite.record(nanos, TimeUnit.NANOSECONDS);
    groupPushes.record(pushes);
  }

  @Override
  public void flushed(long nanos, long rows, long bytes) {
    flush.record(nanos, TimeUnit.NANOSECONDS);
    flushRows.increment(rows);
    flushBytes.increment(bytes);
  }

  @Override
  public void flushFailed() {
    flushFailures.increment();
  }
}
