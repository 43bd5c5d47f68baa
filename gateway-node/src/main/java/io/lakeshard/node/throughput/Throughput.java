package io.lakeshard.node.throughput;

import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What this node has served since it started: accepted sync pushes and their deltas (HTTP and
 * WebSocket alike, counted by the sync service), and Durable Streams appends. Counters only; a
 * reader takes two readings and divides by the time between them (the admin page's chart does).
 * One per actor system, so several nodes in one JVM (the tests) count apart.
 */
public final class Throughput implements Extension {
  private static final ExtensionId<Throughput> ID = new ExtensionId<>() {
    @Override
    public Throughput createExtension(ActorSystem<?> system) {
      return new Throughput();
    }
  };

  /** A reading: the totals so far, and when they were read (epoch ms). */
  public record Counts(long pushes, long deltas, long appends, long atMillis) {}

  private final LongAdder pushes = new LongAdder();
  private final LongAdder deltas = new LongAdder();
  private final LongAdder appends = new LongAdder();

  private Throughput() {}

  public static Throughput get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** A push the gateway acknowledged, with the deltas it accepted. */
  public void pushed(int acceptedDeltas) {
    pushes.increment();
    deltas.add(acceptedDeltas);
  }

  /** An append a stream journaled (a producer's retry of a journaled one is not counted again). */
  public void appended() {
    appends.increment();
  }

  public Counts counts() {
    return new Counts(pushes.sum(), deltas.sum(), appends.sum(), System.currentTimeMillis());
  }
}
