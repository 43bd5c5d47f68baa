package io.lakeshard.core.stream;

import static io.lakeshard.core.stream.StreamStates.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamProtocol.Chunk;
import io.lakeshard.core.stream.StreamProtocol.Command;
import io.lakeshard.core.stream.StreamProtocol.ReadReply;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
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
  private static Behavior<Command> readers(Duration timeout, StreamState state, TestProbe<Integer> waiting,
                                           LongSupplier nanoTime) {
    StreamPaging paging = new StreamPaging(1024);
    return Behaviors.withTimers(timers -> {
      LiveReaders readers = new LiveReaders(timers, timeout, StreamProtocol.WaitsDue.INSTANCE, nanoTime);
      return Behaviors.receiveMessage(command -> {
        if (command instanceof StreamProtocol.Read read) {
          readers.await(read.offset(), read.replyTo());
        } else if (command instanceof StreamProtocol.Append append) {
          StreamStates.append(state, new String(append.spec().data()));
          readers.wake(state, after -> paging.hot(state, after), null);
        } else if (command instanceof StreamProtocol.Delete) {
          readers.wake(state, after -> paging.hot(state, after), GONE);
        } else if (command == StreamProtocol.WaitsDue.INSTANCE) {
          readers.expire(after -> new StreamProtocol.TimedOut(state.meta(), after));
        } else if (command instanceof StreamProtocol.Head) {
          waiting.getRef().tell(readers.waiting());
        }
        return Behaviors.same();
      });
    });
  }

  private static ActorRef<Command> spawn(Duration timeout, StreamState state, TestProbe<Integer> waiting) {
    return spawn(timeout, state, waiting, System::nanoTime);
  }

  private static ActorRef<Command> spawn(Duration timeout, StreamState state, TestProbe<Integer> waiting,
                                         LongSupplier nanoTime) {
    return testKit.spawn(readers(timeout, state, waiting, nanoTime), "readers-" + actors.incrementAndGet());
  }

  /** A reader that starts waiting at the (empty) stream's tail. */
  private static TestProbe<ReadReply> waitAtTail(ActorRef<Command> actor) {
    TestProbe<ReadReply> reader = testKit.createTestProbe();
    actor.tell(new StreamProtocol.Read(Offsets.ZERO, true, reader.getRef()));
    return reader;
  }

  private static StreamProtocol.Append append(String text) {
    return new StreamProtocol.Append(new StreamProtocol.AppendSpec(text.getBytes(), "text/plain", null, null, false),
        testKit.<StreamProtocol.AppendReply>createTestProbe().getRef());
  }

  @Test
  void theNextAppendAnswersEveryReaderWaitingAtTheTail() {
    StreamState state = StreamStates.created("text/plain");
    TestProbe<Integer> waiting = testKit.createTestProbe();
    ActorRef<Command> actor = spawn(Duration.ofMinutes(1), state, waiting);
    TestProbe<ReadReply> first = waitAtTail(actor);
    TestProbe<ReadReply> second = waitAtTail(actor);
    actor.tell(new StreamProtocol.Head(null));
    assertThat(waiting.receiveMessage()).isEqualTo(2);

    actor.tell(append("hi"));
    assertThat(text(((Chunk) first.receiveMessage()).messages())).isEqualTo("hi");
    assertThat(text(((Chunk) second.receiveMessage()).messages())).isEqualTo("hi");
    actor.tell(new StreamProtocol.Head(null));
    assertThat(waiting.receiveMessage()).isZero();
  }

  @Test
  void aReaderIsAnsweredOnceByItsTimerAndNotAgainByALaterAppend() {
    TestProbe<Integer> waiting = testKit.createTestProbe();
    ActorRef<Command> actor = spawn(Duration.ofMillis(50), StreamStates.created("text/plain"), waiting);
    TestProbe<ReadReply> reader = waitAtTail(actor);
    StreamProtocol.TimedOut timedOut = (StreamProtocol.TimedOut) reader.receiveMessage(Duration.ofSeconds(10));
    assertThat(timedOut.offset()).isEqualTo(Offsets.ZERO);
    actor.tell(append("late"));
    actor.tell(new StreamProtocol.Head(null));
    assertThat(waiting.receiveMessage()).isZero();
    reader.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aStreamThatGoesEndsEveryWaitWithTheGivenAnswer() {
    ActorRef<Command> actor = spawn(Duration.ofMinutes(1), StreamStates.created("text/plain"),
        testKit.createTestProbe());
    TestProbe<ReadReply> reader = waitAtTail(actor);
    actor.tell(new StreamProtocol.Delete(null));
    assertThat(reader.receiveMessage()).isEqualTo(GONE);
  }

  /** The one timer serves readers that began at different times: each is answered at its own deadline, oldest first. */
  @Test
  void readersThatBeganLaterAreAnsweredAtTheirOwnDeadline() {
    AtomicLong now = new AtomicLong();
    TestProbe<Integer> waiting = testKit.createTestProbe();
    Duration timeout = Duration.ofMillis(50);
    ActorRef<Command> actor = spawn(timeout, StreamStates.created("text/plain"), waiting, now::get);
    TestProbe<ReadReply> first = waitAtTail(actor);
    actor.tell(new StreamProtocol.Head(null));
    assertThat(waiting.receiveMessage()).isEqualTo(1);
    now.set(Duration.ofMillis(30).toNanos());
    TestProbe<ReadReply> second = waitAtTail(actor);
    actor.tell(new StreamProtocol.Head(null));
    assertThat(waiting.receiveMessage()).isEqualTo(2);

    // the timer fires while neither deadline has passed on this clock: nobody is answered yet
    first.expectNoMessage(Duration.ofMillis(150));
    now.set(Duration.ofMillis(60).toNanos()); // past the first's deadline (50 ms), not the second's (80 ms)
    assertThat(first.receiveMessage(Duration.ofSeconds(10))).isInstanceOf(StreamProtocol.TimedOut.class);
    actor.tell(new StreamProtocol.Head(null));
    assertThat(waiting.receiveMessage()).isEqualTo(1);
    second.expectNoMessage(Duration.ZERO);

    now.set(Duration.ofMillis(90).toNanos());
    assertThat(second.receiveMessage(Duration.ofSeconds(10))).isInstanceOf(StreamProtocol.TimedOut.class);
  }

  @Test
  void readersAtTheSameOffsetShareOnePageAndAReaderAtAnotherGetsItsOwn() {
    StreamState state = StreamStates.created("text/plain");
    TestProbe<Integer> waiting = testKit.createTestProbe();
    ActorRef<Command> actor = spawn(Duration.ofMinutes(1), state, waiting);
    TestProbe<ReadReply> first = waitAtTail(actor);
    TestProbe<ReadReply> second = waitAtTail(actor);
    actor.tell(append("one"));
    Chunk toFirst = (Chunk) first.receiveMessage();
    assertThat(second.receiveMessage()).isSameAs(toFirst);
    assertThat(text(toFirst.messages())).isEqualTo("one");

    TestProbe<ReadReply> atTail = testKit.createTestProbe();
    actor.tell(new StreamProtocol.Read(toFirst.next(), true, atTail.getRef()));
    TestProbe<ReadReply> behind = waitAtTail(actor); // still at the start: it gets both messages
    actor.tell(append("two"));
    assertThat(text(((Chunk) atTail.receiveMessage()).messages())).isEqualTo("two");
    assertThat(text(((Chunk) behind.receiveMessage()).messages())).isEqualTo("onetwo");
  }
}
