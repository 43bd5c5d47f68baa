package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamProtocol.Chunk;
import io.lakeshard.core.stream.StreamProtocol.Command;
import io.lakeshard.core.stream.StreamProtocol.ReadReply;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Caught-up live reads (a long-poll, or an SSE connection between appends): each waits here for
 * the next append, close or delete, or its {@code timeout}, whichever comes first. Every wait
 * lasts as long, so they end in the order they began: one timer, set for the oldest, serves them
 * all (1 000 SSE readers wait again after every append: a timer each cost a schedule and a cancel). Owned
 * by the stream's actor; not thread-safe.
 */
final class LiveReaders {
  private static final Object TIMER = "live-readers";

  /** A reader caught up at {@code after}, answered "nothing new" at {@code deadlineNanos}. */
  record Waiter(String after, ActorRef<ReadReply> replyTo, long deadlineNanos) {}

  private final TimerScheduler<Command> timers;
  private final Duration timeout;
  private final Command due;
  private final LongSupplier nanoTime;
  /** In the order they began, which is the order of their deadlines. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

  /** {@code due}: the message the timer sends the actor, which then calls {@link #expire}. */
  LiveReaders(TimerScheduler<Command> timers, Duration timeout, Command due) {
    this(timers, timeout, due, System::nanoTime);
  }

  LiveReaders(TimerScheduler<Command> timers, Duration timeout, Command due, LongSupplier nanoTime) {
    this.timers = timers;
    this.timeout = timeout;
    this.due = due;
    this.nanoTime = nanoTime;
  }

  void await(String after, ActorRef<ReadReply> replyTo) {
    waiters.add(new Waiter(after, replyTo, nanoTime.getAsLong() + timeout.toNanos()));
    if (!timers.isTimerActive(TIMER)) {
      timers.startSingleTimer(TIMER, due, timeout);
    }
  }

  int waiting() {
    return waiters.size();
  }

  /**
   * After a write: answers every reader that now has something. {@code pageAfter} is the page a
   * reader at an offset would get (asked once per offset: readers mostly wait at the same one);
   * {@code gone}: the answer for everyone when the stream went (null while it exists).
   */
  void wake(StreamState state, Function<String, Chunk> pageAfter, ReadReply gone) {
    Map<String, ReadReply> replies = new HashMap<>();
    for (int left = waiters.size(); left > 0; left--) {
      Waiter waiter = waiters.poll();
      ReadReply reply = gone;
      if (reply == null) {
        if (!replies.containsKey(waiter.after())) {
          replies.put(waiter.after(), replyAt(state, pageAfter, waiter.after()));
        }
        reply = replies.get(waiter.after());
      }
      if (reply != null) {
        waiter.replyTo().tell(reply);
      } else {
        waiters.add(waiter); // behind the others, as it was: the order stays the deadlines'
      }
    }
    if (waiters.isEmpty()) {
      timers.cancel(TIMER);
    }
  }

  /** What a reader waiting at {@code after} gets now: new messages, the close, or null (it waits on). */
  private static ReadReply replyAt(StreamState state, Function<String, Chunk> pageAfter, String after) {
    Chunk chunk = pageAfter.apply(after);
    if (chunk.messages().isEmpty()) {
      return state.closed ? new Chunk(state.meta(), List.of(), after, true, true) : null;
    }
    return chunk;
  }

  /** Answers every waiting reader with {@code answer} (of its offset): after a restart, which cancelled the timer. */
  void expireAll(Function<String, ReadReply> answer) {
    waiters.forEach(waiter -> waiter.replyTo().tell(answer.apply(waiter.after())));
    waiters.clear();
    timers.cancel(TIMER);
  }

  /** The timer fired: who waited out the timeout is answered with {@code answer} (of its offset); the timer is set for the next. */
  void expire(Function<String, ReadReply> answer) {
    long now = nanoTime.getAsLong();
    while (!waiters.isEmpty()) {
      Waiter oldest = waiters.peek();
      if (oldest.deadlineNanos() - now > 0) {
        timers.startSingleTimer(TIMER, due, Duration.ofNanos(oldest.deadlineNanos() - now));
        return;
      }
      waiters.poll().replyTo().tell(answer.apply(oldest.after()));
    }
  }
}
