package io.lakeshard.core.retry;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.function.DoubleSupplier;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * When to retry a failed call: {@code min} doubling with each failure up to {@code max}, each
 * delay spread by ±{@code jitter} (a fraction) so entities that failed together do not retry together.
 */
public record Backoff(Duration min, Duration max, double jitter) {

  /** From a config block with {@code min}, {@code max} and {@code jitter}. */
  public static Backoff fromConfig(Config config) {
    return new Backoff(config.getDuration("min"), config.getDuration("max"), config.getDouble("jitter"));
  }

  /** The delay after the {@code failures}-th failure in a row (1 for the first). */
  public Duration delay(int failures, DoubleSupplier random) {
    long base = min.toMillis() << Math.min(failures - 1, 30);
    double spread = 1 + jitter * (2 * random.getAsDouble() - 1);
    long millis = Math.round(Math.min(base, max.toMillis()) * spread);
    return Duration.ofMillis(Math.min(Math.max(millis, 1), max.toMillis()));
  }

  /**
   * The same schedule as an actor's restart strategy (a persistent entity after a journal
   * failure). Pekko lengthens each delay by up to {@code jitter}, never shortens it.
   */
  public BackoffSupervisorStrategy restarts() {
    return SupervisorStrategy.restartWithBackoff(min, max, jitter);
  }
}
