package io.lakeshard.node;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition this JVM cannot be notified of: the state of another process (a node's
 * management API) or of a store another component writes (the catalogue). It checks every 100 ms
 * and fails with {@code what} past {@code limit}; events this JVM sees are awaited directly instead.
 */
final class Await {
  private static final long POLL_MILLIS = 100;

  private Await() {}

  static void until(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
