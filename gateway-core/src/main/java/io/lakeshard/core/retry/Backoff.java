package io.lakeshard.core.flush;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * When to retry a failed flush: {@code min} doubling with each failure up to {@code max}, each
 * delay spread by ±{@code jitter} (a fraction) so gateways that failed together do not retry together.
 */
public record FlushBackoff(Duration min, Duration max, double jitter) {

  /** The delay after the {@code failures}-th failure in a row (1 for the first). */
  public Duration delay(int failures, DoubleSupplier random) {
    long base = min.toMillis() << Math.min(failures - 1, 30);
    double spread = 1 + jitter * (2 * random.getAsDouble() - 1);
    long millis = Math.round(Math.min(base, max.toMillis()) * spread);
    return Duration.ofMillis(Math.min(Math.max(millis, 1), max.toMillis()));
  }
}
