package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;

/** A gauge of what is open now (WebSocket sessions, SSE connections, waiting long-polls). */
public final class OpenCount {
  private final AtomicInteger open = new AtomicInteger();

  OpenCount(MeterRegistry registry, String name, String description, Tags tags) {
    Gauge.builder(name, open, AtomicInteger::get).description(description).tags(tags).register(registry);
  }

  /** {@code flow}, counted open from its materialization to its end, however it ends. */
  public <I, O, M> Flow<I, O, M> counting(Flow<I, O, M> flow) {
    return flow.watchTermination((materialized, done) -> {
      opened();
      done.whenComplete((ended, failed) -> closed());
      return materialized;
    });
  }

  /** {@code source}, counted open from its materialization to its end, however it ends. */
  public <O, M> Source<O, M> counting(Source<O, M> source) {
    return source.watchTermination((materialized, done) -> {
      opened();
      done.whenComplete((ended, failed) -> closed());
      return materialized;
    });
  }

  public void opened() {
    open.incrementAndGet();
  }

  public void closed() {
    open.decrementAndGet();
  }
}
