package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The latency histogram of one operation on one transport, one timer per outcome, registered up
 * front so recording is a plain timer update. Its buckets are fixed (0.5 ms to 10 s), not
 * Micrometer's percentile histogram (some 70 buckets per timer), to keep a scrape small.
 */
public final class RequestTimer {
  /** How an operation ended: served, refused by a rule (4xx), or unavailable (5xx, a timeout). */
  public enum Outcome { OK, REFUSED, UNAVAILABLE }

  static final Duration[] BUCKETS = {
      Duration.ofMillis(1).dividedBy(2), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private final Timer[] byOutcome = new Timer[Outcome.values().length];

  RequestTimer(MeterRegistry registry, String name, String description, Tags tags) {
    for (Outcome outcome : Outcome.values()) {
      byOutcome[outcome.ordinal()] = timer(registry, name, description,
          tags.and("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT)));
    }
  }

  /** A timer with the fixed buckets. */
  static Timer timer(MeterRegistry registry, String name, String description, Tags tags) {
    return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(BUCKETS)
        .register(registry);
  }

  /**
   * Records {@code outcome}'s operation, started at {@code startNanos}, when it completes, as
   * {@code classify} reads its result (a failed stage, an ask timeout, is UNAVAILABLE).
   */
  public <T> CompletionStage<T> time(long startNanos, CompletionStage<T> outcome, Function<T, Outcome> classify) {
    return outcome.whenComplete((result, failure) ->
        record(failure != null ? Outcome.UNAVAILABLE : classify.apply(result), startNanos));
  }

  /** How many operations ended with {@code outcome} since the node started. */
  public long count(Outcome outcome) {
    return byOutcome[outcome.ordinal()].count();
  }

  /** One operation started at {@code startNanos} ({@link System#nanoTime()}) that ended now. */
  public void record(Outcome outcome, long startNanos) {
    byOutcome[outcome.ordinal()].record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}
