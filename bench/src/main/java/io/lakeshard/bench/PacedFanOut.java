package io.lakeshard.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;
import org.HdrHistogram.Recorder;

/**
 * What the broadcast and SSE scenarios share: one sender at a fixed rate, its sends numbered
 * 0, 1, ...; every receiver reports each delivery of send n, and those of sends in the measured
 * window count, with their latency from the send.
 */
final class PacedFanOut {
  /** How the measured window went: its length, the sends in it, and the deliveries they owe. */
  record Window(double seconds, long sends, long expected) {}

  private final double rate;
  private final Duration warm;
  private final Duration measure;
  private final int capacity;
  private final AtomicLongArray sentAt;
  private final AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong measureTo = new AtomicLong(Long.MAX_VALUE);
  private final Recorder recorder = new Recorder(3);
  private final LongAdder delivered = new LongAdder();
  final LongAdder sendErrors = new LongAdder();

  PacedFanOut(double rate, Duration warm, Duration measure) {
    this.rate = rate;
    this.warm = warm;
    this.measure = measure;
    this.capacity = (int) (rate * (warm.toSeconds() + measure.toSeconds() + 30)) + 1000;
    this.sentAt = new AtomicLongArray(capacity);
  }

  /** Whether {@code seq} can be a send of this run. */
  boolean isSend(long seq) {
    return seq >= 0 && seq < capacity;
  }

  /** A receiver got send {@code seq} at {@code nanos}. */
  void delivered(long seq, long nanos) {
    if (seq >= measureFrom.get() && seq < measureTo.get()) {
      recorder.recordValue(Math.max(1, nanos - sentAt.get((int) seq)));
      delivered.increment();
    }
  }

  /**
   * Sends at the rate through warm-up and measurement (send k by {@code send.apply(k)}), then
   * waits up to 5 s for {@code receivers} deliveries of each measured send.
   */
  Window run(String thread, LongFunction<CompletableFuture<?>> send, long receivers, Probe.CpuWindow cpu) {
    AtomicLong next = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    Thread sender = new Thread(() -> {
      double interval = 1e9 / rate;
      long origin = System.nanoTime();
      for (long k = 0; !stop.get() && k < capacity; k++) {
        long due = origin + (long) (k * interval);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        sentAt.set((int) k, System.nanoTime());
        next.set(k + 1);
        send.apply(k).whenComplete((reply, error) -> {
          if (error != null) {
            sendErrors.increment();
          }
        });
      }
    }, thread);
    sender.setDaemon(true);
    sender.start();
    Load.sleep(warm);
    recorder.reset();
    cpu.start();
    measureFrom.set(next.get());
    long start = System.nanoTime();
    Load.sleep(measure);
    measureTo.set(next.get());
    double seconds = (System.nanoTime() - start) / 1e9;
    stop.set(true);
    long sends = measureTo.get() - measureFrom.get();
    long expected = sends * receivers;
    long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (delivered.sum() < expected && System.nanoTime() < drainDeadline) {
      Load.sleep(Duration.ofMillis(50));
    }
    cpu.end();
    return new Window(seconds, sends, expected);
  }

  /** Throughput and latency; errors are missing deliveries, send errors and {@code otherErrors}. */
  Map<String, Object> result(Window window, long otherErrors) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unit", "deliveries/s");
    result.put("throughput", LoadGenerator.round(delivered.sum() / window.seconds()));
    result.put("latencyMs", Measuring.latency(recorder.getIntervalHistogram()));
    result.put("errors", window.expected() - delivered.sum() + sendErrors.sum() + otherErrors);
    result.put("deliveriesExpected", window.expected());
    result.put("deliveriesMeasured", delivered.sum());
    result.put("seconds", LoadGenerator.round(window.seconds()));
    return result;
  }
}
