package io.lakeshard.core.stream;

import static io.lakeshard.core.stream.StreamStates.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.DurableStream.Chunk;
import io.lakeshard.core.stream.DurableStream.Command;
import io.lakeshard.core.stream.DurableStream.ReadReply;
import io.lakeshard.core.stream.DurableStream.Refusal;
import io.lakeshard.core.stream.DurableStream.Refused;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Live readers in an actor of their own, driven by the entity's commands: a Read waits, an Append
 * (of its data, as text) wakes, a Delete ends every wait, a Head reports how many wait.
 */
class LiveReadersTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final AtomicInteger actors = new AtomicInteger();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static final Refused GONE = Refused.of(Refusal.NOT_FOUND, "gone");

  /** The state the readers see; {@code waiting} counts the waiting readers at each Head. */
  private static Behavior<Command> readers(Duration timeout, StreamState state, TestProbe<Integer> waiting) {
    StreamPaging paging = new StreamPaging(1024);
    return Behaviors.withTimers(timers -> {
      LiveReaders readers = new LiveReaders(timers, timeout, DurableStream.WaitExpired::new);
      return Behaviors.receiveMessage(command -> {
        if (command instanceof DurableStream.Read read) {
          readers.await(read.offset(), read.replyTo());
        } else if (command instanceof DurableStream.Append append) {
          StreamStates.append(state, new String(append.spec().data()));
          readers.wake(state, after -> paging.hot(state, after), null);
        } else if (command instanceof DurableStream.Delete) {
          readers.wake(state, after -> paging.hot(state, after), GONE);
        } else if (command instanceof DurableStream.WaitExpired expired) {
          readers.expire(expired.waiter(), after -> new DurableStream.TimedOut(state.meta(), after));
        } else if (command instanceof DurableStream.Head) {
          waiting.getRef().tell(readers.waiting());
        }
        return Behaviors.same();
      });
    });
  }

  private static ActorRef<Command> spawn(Duration timeout, StreamState state, TestProbe<Integer> waiting) {
    return testKit.spawn(readers(timeout, state, waiting), "readers-" + actors.incrementAndGet());
  }

  /** A reader that starts waiting at the (empty) stream's tail. */
  private static TestProbe<ReadReply> waitAtTail(ActorRef<Command> actor) {
    TestProbe<ReadReply> reader = testKit.createTestProbe();
    actor.tell(new DurableStream.Read(Offsets.ZERO, true, reader.getRef()));
    return reader;
  }

  private static DurableStream.Append append(String text) {
    return new DurableStream.Append(new DurableStream.AppendSpec(text.getBytes(), "text/plain", null, null, false),
        testKit.<DurableStream.AppendReply>createTestProbe().getRef());
  }

  @Test
  void theNextAppendAnswersEveryReaderWaitingAtTheTail() {
    StreamState state = StreamStates.created("text/plain");
    TestProbe<Integer> waiting = testKit.createTestProbe();
    ActorRef<Command> actor = spawn(Duration.ofMinutes(1), state, waiting);
    TestProbe<ReadReply> first = waitAtTail(actor);
    TestProbe<ReadReply> second = waitAtTail(actor);
    actor.tell(new DurableStream.Head(null));
    assertThat(waiting.receiveMessage()).isEqualTo(2);

    actor.tell(append("hi"));
    assertThat(text(((Chunk) first.receiveMessage()).messages())).isEqualTo("hi");
    assertThat(text(((Chunk) second.receiveMessage()).messages())).isEqualTo("hi");
    actor.tell(new DurableStream.Head(null));
    assertThat(waiting.receiveMessage()).isZero();
  }

  @Test
  void aReaderIsAnsweredOnceByItsTimerAndNotAgainByALaterAppend() {
    TestProbe<Integer> waiting = testKit.createTestProbe();
    ActorRef<Command> actor = spawn(Duration.ofMillis(50), StreamStates.created("text/plain"), waiting);
    TestProbe<ReadReply> reader = waitAtTail(actor);
    DurableStream.TimedOut timedOut = (DurableStream.TimedOut) reader.receiveMessage(Duration.ofSeconds(10));
    assertThat(timedOut.offset()).isEqualTo(Offsets.ZERO);
    actor.tell(append("late"));
    actor.tell(new DurableStream.Head(null));
    assertThat(waiting.receiveMessage()).isZero();
    reader.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aStreamThatGoesEndsEveryWaitWithTheGivenAnswer() {
    ActorRef<Command> actor = spawn(Duration.ofMinutes(1), StreamStates.created("text/plain"),
        testKit.createTestProbe());
    TestProbe<ReadReply> reader = waitAtTail(actor);
    actor.tell(new DurableStream.Delete(null));
    assertThat(reader.receiveMessage()).isEqualTo(GONE);
  }
}
