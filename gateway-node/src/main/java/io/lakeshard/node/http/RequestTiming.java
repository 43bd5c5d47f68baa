package io.lakeshard.node.http;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One timed request's parts, in nanoseconds, added from whichever thread completes each step.
 * {@code route} is what is left of the total: the node's own work (routing, auth, reading the
 * body, marshalling the answer). {@code journal} is part of {@code entity} (the entity's journal
 * write, as it reports it); {@code lake} is lake I/O the route waits for outside an entity.
 */
public final class RequestTiming {
  /** A part of a request's time, by its Server-Timing name. */
  public enum Part {
    ENTITY("entity"), JOURNAL("journal"), LAKE("lake"), UPSTREAM("upstream");

    private final String metric;

    Part(String metric) {
      this.metric = metric;
    }
  }

  private final long startedNanos;
  private final AtomicLongArray nanos = new AtomicLongArray(Part.values().length);
  /** Which parts applied to this request (a part can take 0 ns and still apply). */
  private final AtomicLongArray applied = new AtomicLongArray(Part.values().length);

  public RequestTiming(long startedNanos) {
    this.startedNanos = startedNanos;
  }

  public void add(Part part, long partNanos) {
    nanos.addAndGet(part.ordinal(), partNanos);
    applied.set(part.ordinal(), 1);
  }

  /**
   * The Server-Timing value now: {@code route} first, then each part that applied, in
   * milliseconds with microsecond precision, e.g. {@code route;dur=0.112, entity;dur=1.904, journal;dur=1.2}.
   */
  public String header() {
    long total = System.nanoTime() - startedNanos;
    long outside = nanos.get(Part.ENTITY.ordinal()) + nanos.get(Part.LAKE.ordinal())
        + nanos.get(Part.UPSTREAM.ordinal());
    StringBuilder header = new StringBuilder(64);
    entry(header, "route", Math.max(0, total - outside));
    for (Part part : Part.values()) {
      if (applied.get(part.ordinal()) == 1) {
        header.append(", ");
        entry(header, part.metric, nanos.get(part.ordinal()));
      }
    }
    return header.toString();
  }

  private static void entry(StringBuilder header, String name, long partNanos) {
    header.append(name).append(";dur=").append(String.format(Locale.ROOT, "%.3f", partNanos / 1e6));
  }
}
