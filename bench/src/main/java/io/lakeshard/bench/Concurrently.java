package io.lakeshard.bench;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/** Many asynchronous set-up steps at once, a bounded number in flight (the servers' accept queues are finite). */
final class Concurrently {
  private Concurrently() {}

  /** Runs {@code task(i)} for i in [0, n), {@code parallel} at a time; waits at most 300 s for all. */
  static void forEach(int n, int parallel, IntFunction<CompletableFuture<?>> task) {
    Semaphore permits = new Semaphore(parallel);
    CountDownLatch done = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      permits.acquireUninterruptibly();
      task.apply(i).whenComplete((r, e) -> {
        permits.release();
        done.countDown();
      });
    }
    await(done, 300);
  }

  /** Opens every slot, at most 64 handshakes at a time; returns how many failed. */
  static int open(List<WsSlot> slots) {
    Semaphore permits = new Semaphore(64);
    AtomicInteger failed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(slots.size());
    for (WsSlot slot : slots) {
      permits.acquireUninterruptibly();
      slot.connect().whenComplete((c, e) -> {
        if (e != null) {
          failed.incrementAndGet();
        }
        permits.release();
        done.countDown();
      });
    }
    await(done, 120);
    if (failed.get() > 0) {
      LoadGenerator.say("  " + failed.get() + " of " + slots.size() + " WebSocket connections failed to open");
    }
    return failed.get();
  }

  static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static void await(CountDownLatch done, int seconds) {
    try {
      done.await(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
