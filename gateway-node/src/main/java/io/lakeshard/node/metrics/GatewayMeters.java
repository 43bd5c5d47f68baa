package io.lakeshard.node.metrics;

import io.lakeshard.core.gateway.GatewayObserver;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Every gateway's journal group commits and flushes, summed over the gateways of this node. */
public final class GatewayMeters implements GatewayObserver {
  private final Timer journalWrite;
  private final DistributionSummary groupPushes;
  private final FlushMeters flushes;

  GatewayMeters(MeterRegistry registry) {
    journalWrite = RequestTimer.timer(registry, "lakeshard.gateway.journal.write",
        "one group commit of pushes to the journal, from the gateway's send to the ledger's answer", Tags.empty());
    groupPushes = DistributionSummary.builder("lakeshard.gateway.journal.group.pushes")
        .description("pushes journaled together in one write (group commit)")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
    flushes = new FlushMeters(registry, "lakeshard.gateway", "rows", "deltas");
  }

  @Override
  public void journalWritten(long nanos, int pushes) {
    journalWrite.record(nanos, TimeUnit.NANOSECONDS);
    groupPushes.record(pushes);
  }

  @Override
  public void flushed(long nanos, long rows, long bytes) {
    flushes.flushed(nanos, rows, bytes);
  }

  @Override
  public void flushFailed() {
    flushes.flushFailed();
  }
}
