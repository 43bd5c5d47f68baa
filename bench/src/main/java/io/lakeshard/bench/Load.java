package io.lakeshard.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The two ways load is driven. Closed loop: each client has one request in flight and sends the
 * next when the answer comes (the "N concurrent clients" shapes, for maximum throughput). Open
 * loop: requests leave at a fixed rate whatever the answers do, and each latency is measured from
 * the moment the request was due, so a stall is not hidden (no coordinated omission).
 * Only answers that arrive inside the measurement window count; warm-up answers are discarded.
 */
final class Load {
  /** One operation of one client: completes with how many items (deltas) it carried. */
  @FunctionalInterface
  interface Op {
    CompletableFuture<Done> run();
  }

  /**
   * An operation's result: the items it carried and when its answer was complete
   * ({@code System.nanoTime()}, taken before any parsing so that client-side decoding is not counted).
   */
  record Done(long items, long nanos) {
    static Done now(long items) {
      return new Done(items, System.nanoTime());
    }
  }

  /** What a window measured; latencies in nanoseconds. */
  record Window(Histogram latency, long ops, long items, long errors, double seconds, Map<String, Integer> errorKinds) {
    double itemsPerSecond() {
      return items / seconds;
    }

    double opsPerSecond() {
      return ops / seconds;
    }
  }

  /** Called at the start and end of the measurement window (CPU sampling, profiling). */
  interface WindowHooks {
    void started();

    void ended();

    WindowHooks NONE = new WindowHooks() {
      @Override
      public void started() {}

      @Override
      public void ended() {}
    };
  }

  private static final int WARMUP = 0;
  private static final int MEASURE = 1;
  private static final int STOPPED = 2;

  private final Recorder recorder = new Recorder(3);
  private final LongAdder ops = new LongAdder();
  private final LongAdder items = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile int phase = WARMUP;
  private final Executor executor;
  private final ScheduledExecutorService scheduler;

  private Load(Executor executor, ScheduledExecutorService scheduler) {
    this.executor = executor;
    this.scheduler = scheduler;
  }

  /** {@code clients} closed loops, one request in flight each. */
  static Window closedLoop(List<Op> clients, Duration warmup, Duration measure, WindowHooks hooks,
                           Executor executor, ScheduledExecutorService scheduler) {
    Load load = new Load(executor, scheduler);
    clients.forEach(op -> executor.execute(() -> load.loop(op)));
    return load.window(warmup, measure, hooks);
  }

  /**
   * Requests at {@code ratePerSecond} in all, round-robin over {@code targets}, each sent when
   * due whatever is still outstanding (the protocol pipelines: replies come back in order).
   */
  static Window openLoop(List<Op> targets, double ratePerSecond, Duration warmup, Duration measure, WindowHooks hooks,
                         Executor executor, ScheduledExecutorService scheduler) {
    Load load = new Load(executor, scheduler);
    Thread sender = new Thread(() -> load.send(targets, ratePerSecond), "open-loop-sender");
    sender.setDaemon(true);
    sender.start();
    Window window = load.window(warmup, measure, hooks);
    try {
      sender.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return window;
  }

  private Window window(Duration warmup, Duration measure, WindowHooks hooks) {
    sleep(warmup);
    recorder.reset();
    ops.reset();
    items.reset();
    errors.reset();
    errorKinds.clear();
    hooks.started();
    long start = System.nanoTime();
    phase = MEASURE;
    sleep(measure);
    phase = STOPPED;
    long end = System.nanoTime();
    Histogram latency = recorder.getIntervalHistogram();
    long measuredOps = ops.sum();
    long measuredItems = items.sum();
    long measuredErrors = errors.sum();
    hooks.ended();
    // let what is in flight finish before the caller tears the connections down
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return new Window(latency, measuredOps, measuredItems, measuredErrors, (end - start) / 1e9, Map.copyOf(errorKinds));
  }

  private void loop(Op op) {
    if (phase == STOPPED) {
      return;
    }
    long start = System.nanoTime();
    started(op).whenComplete((done, error) -> {
      boolean failed = complete(start, done, error);
      inFlight.decrementAndGet();
      if (failed) {
        // a refused or failed request: back off a little rather than spin
        scheduler.schedule(() -> executor.execute(() -> loop(op)), 50, TimeUnit.MILLISECONDS);
      } else {
        executor.execute(() -> loop(op));
      }
    });
  }

  private void send(List<Op> targets, double ratePerSecond) {
    double intervalNanos = 1e9 / ratePerSecond;
    long origin = System.nanoTime();
    for (long k = 0; phase != STOPPED; k++) {
      long due = origin + (long) (k * intervalNanos);
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      if (phase == STOPPED) {
        break;
      }
      Op op = targets.get((int) (k % targets.size()));
      started(op).whenComplete((done, error) -> {
        complete(due, done, error);
        inFlight.decrementAndGet();
      });
    }
  }

  /** Runs {@code op}, counted in flight; a throw becomes a failed result. */
  private CompletableFuture<Done> started(Op op) {
    inFlight.incrementAndGet();
    try {
      return op.run();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Records an answer if it arrived in the window; true when it was an error. */
  private boolean complete(long start, Done done, Throwable error) {
    if (phase == MEASURE) {
      if (error == null) {
        recorder.recordValue(Math.max(1, done.nanos() - start));
        ops.increment();
        items.add(done.items());
      } else {
        errors.increment();
        Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException
            ? error.getCause() : error;
        String kind = String.valueOf(cause.getMessage());
        if (kind.length() > 120) {
          kind = kind.substring(0, 120);
        }
        String key = cause.getClass().getSimpleName() + ": " + kind;
        if (errorKinds.size() < 20 || errorKinds.containsKey(key)) {
          errorKinds.merge(key, 1, Integer::sum);
        }
      }
    }
    return error != null;
  }

  static void sleep(Duration duration) {
    long deadline = System.nanoTime() + duration.toNanos();
    long wait;
    while ((wait = deadline - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
  }
}
