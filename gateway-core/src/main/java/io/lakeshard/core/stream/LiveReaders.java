package io.lakeshard.core.stream;

import io.lakeshard.core.stream.DurableStream.Chunk;
import io.lakeshard.core.stream.DurableStream.Command;
import io.lakeshard.core.stream.DurableStream.ReadReply;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Caught-up live reads (a long-poll, or an SSE connection between appends): each waits here for
 * the next append, close or delete, or its timer ({@code timeout}), whichever comes first. Owned
 * by the stream's actor; not thread-safe.
 */
final class LiveReaders {
  /** A reader caught up at {@code after}. */
  record Waiter(String after, ActorRef<ReadReply> replyTo) {}

  private final TimerScheduler<Command> timers;
  private final Duration timeout;
  private final LongFunction<Command> expiry;
  private final Map<Long, Waiter> waiters = new LinkedHashMap<>();
  private long nextId;

  /** {@code expiry}: the message the timer of the waiter with this id sends the actor. */
  LiveReaders(TimerScheduler<Command> timers, Duration timeout, LongFunction<Command> expiry) {
    this.timers = timers;
    this.timeout = timeout;
    this.expiry = expiry;
  }

  void await(String after, ActorRef<ReadReply> replyTo) {
    long id = nextId++;
    waiters.put(id, new Waiter(after, replyTo));
    timers.startSingleTimer(id, expiry.apply(id), timeout);
  }

  int waiting() {
    return waiters.size();
  }

  /**
   * After a write: answers every reader that now has something. {@code pageAfter} is the page a
   * reader at an offset would get; {@code gone}: the answer for everyone when the stream went
   * (null while it exists).
   */
  void wake(StreamState state, Function<String, Chunk> pageAfter, ReadReply gone) {
    Iterator<Map.Entry<Long, Waiter>> pending = waiters.entrySet().iterator();
    while (pending.hasNext()) {
      Map.Entry<Long, Waiter> entry = pending.next();
      Waiter waiter = entry.getValue();
      ReadReply reply;
      if (gone != null) {
        reply = gone;
      } else {
        Chunk chunk = pageAfter.apply(waiter.after());
        if (chunk.messages().isEmpty() && !state.closed) {
          continue;
        }
        reply = chunk.messages().isEmpty() ? new Chunk(state.meta(), List.of(), waiter.after(), true, true) : chunk;
      }
      waiter.replyTo().tell(reply);
      timers.cancel(entry.getKey());
      pending.remove();
    }
  }

  /** Answers every waiting reader with {@code answer} (of its offset): after a restart, which cancelled their timers. */
  void expireAll(Function<String, ReadReply> answer) {
    waiters.values().forEach(waiter -> waiter.replyTo().tell(answer.apply(waiter.after())));
    waiters.clear();
  }

  /** The timer of waiter {@code id} fired: it is answered with {@code answer} (of its offset), if still waiting. */
  void expire(long id, Function<String, ReadReply> answer) {
    Waiter waiter = waiters.remove(id);
    if (waiter != null) {
      waiter.replyTo().tell(answer.apply(waiter.after()));
    }
  }
}
