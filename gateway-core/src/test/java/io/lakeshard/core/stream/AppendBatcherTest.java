package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamEvent.MessageAppended;
import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.AppendSpec;
import io.lakeshard.core.stream.StreamProtocol.Message;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The batch's rules: who joins, who waits, the state it leaves. */
class AppendBatcherTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final TestProbe<StreamProtocol.Command> self = testKit.createTestProbe();
  private final TestProbe<AppendReply> client = testKit.createTestProbe();
  private final AppendBatcher batcher = new AppendBatcher(new StreamSettings.AppendBatching(10, 2, 1), self.getRef());

  private static AppendSpec plain(int bytes) {
    return new AppendSpec(new byte[bytes], "text/plain", null, null, false);
  }

  private static MessageAppended appended(String offset, String seq) {
    return new MessageAppended(new Message(offset, new byte[4]), seq, null, false, 0);
  }

  @Test
  void theFirstAppendOpensTheBatchAndSendsItsFlushOnce() {
    StreamState state = new StreamState();
    assertThat(batcher.mustWait()).isFalse();
    batcher.add(appended("a", null), client.getRef());
    assertThat(self.receiveMessage()).isEqualTo(StreamProtocol.FlushAppends.INSTANCE);
    batcher.add(appended("b", "7"), client.getRef());
    self.expectNoMessage(Duration.ofMillis(50));
    assertThat(batcher.tail(state)).isEqualTo("b");
    assertThat(batcher.lastSeq(state)).isEqualTo("7");
    assertThat(batcher.holdsSeq()).isTrue();

    StreamProtocol.AppendBatch batch = batcher.take();
    assertThat(batch.events()).extracting(e -> e.message().offset()).containsExactly("a", "b");
    assertThat(batch.replyTo()).hasSize(2);
    assertThat(batcher.take()).isNull();
    assertThat(batcher.tail(state)).isEqualTo(state.tail());
    assertThat(batcher.holdsSeq()).isFalse();
  }

  @Test
  void whileABatchIsOpenOnlyAPlainAppendThatFitsJoinsIt() {
    assertThat(batcher.mustWait(new AppendSpec(new byte[4], "text/plain", null, new StreamProtocol.Producer("p", 0, 0), false)))
        .isFalse(); // no batch open: a producer's append goes on its own
    batcher.add(appended("a", null), client.getRef());
    assertThat(batcher.mustWait()).isTrue();
    assertThat(batcher.mustWait(plain(6))).isFalse();
    assertThat(batcher.mustWait(plain(7))).as("4 + 7 bytes > 10").isTrue();
    assertThat(batcher.mustWait(new AppendSpec(new byte[0], null, null, null, true))).as("a close").isTrue();
    assertThat(batcher.mustWait(new AppendSpec(new byte[1], "text/plain", null, new StreamProtocol.Producer("p", 0, 0), false)))
        .as("a producer's").isTrue();
    batcher.add(appended("b", null), client.getRef());
    assertThat(batcher.mustWait(plain(1))).as("2 appends, the cap").isTrue();
  }

  @Test
  void onceOneWaitsEverythingWaitsUpToTheLimitUntilTheStashIsEmptied() {
    batcher.add(appended("a", null), client.getRef());
    assertThat(batcher.admitWaiting()).isTrue();
    assertThat(batcher.admitWaiting()).as("max-waiting 1").isFalse();
    batcher.take();
    assertThat(batcher.mustWait(plain(1))).as("behind the one waiting, in arrival order").isTrue();
    batcher.unstashing();
    assertThat(batcher.mustWait(plain(1))).isFalse();
    assertThat(batcher.waiting()).isZero();
  }
}
