package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamEvent.MessageAppended;
import io.lakeshard.core.stream.StreamEvent.StreamClosed;
import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.AppendSpec;
import io.lakeshard.core.stream.StreamProtocol.Appended;
import io.lakeshard.core.stream.StreamProtocol.Duplicate;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Producer;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** One append's outcome against a live stream and the batch it may join. */
class AppendRuleTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final long NOW = 1_000_000;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private final TestProbe<StreamProtocol.Command> self = testKit.createTestProbe();
  private final TestProbe<AppendReply> client = testKit.createTestProbe();
  private final AppendBatcher batcher = new AppendBatcher(new StreamSettings.AppendBatching(1 << 20, 100, 10), self.getRef());
  private final AppendRule rule = new AppendRule(Duration.ofMinutes(1));

  private static AppendSpec spec(String body, String contentType, String seq, Producer producer, boolean close) {
    return new AppendSpec(body.getBytes(StandardCharsets.UTF_8), contentType, seq, producer, close);
  }

  private AppendRule.Decision decide(StreamState state, AppendSpec spec) {
    return rule.decide(state, spec, batcher, NOW);
  }

  private AppendReply answer(StreamState state, AppendSpec spec) {
    AppendRule.Decision decision = decide(state, spec);
    assertThat(decision).isInstanceOf(AppendRule.Answer.class);
    return ((AppendRule.Answer) decision).reply();
  }

  private static Refusal refusal(AppendReply reply) {
    assertThat(reply).isInstanceOf(Refused.class);
    return ((Refused) reply).reason();
  }

  @Test
  void aClosedStreamTakesNothingButAnswersItsClosersRetryAndAPlainCloseAsDone() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "a");
    Producer closer = new Producer("w", 0, 0);
    state.apply(new StreamClosed(closer, NOW));

    assertThat(answer(state, spec("", null, null, closer, true)))
        .isEqualTo(new Duplicate(state.tail, true, 0, 0));
    assertThat(answer(state, spec("", null, null, null, true))).isEqualTo(new Appended(state.tail, true));
    Refused closed = (Refused) answer(state, spec("b", "text/plain", null, null, false));
    assertThat(closed.reason()).isEqualTo(Refusal.STREAM_CLOSED);
    assertThat(closed.tail()).isEqualTo(state.tail);
  }

  @Test
  void aBodyMustBeThereAndCarryTheStreamsMediaType() {
    StreamState state = StreamStates.created("application/json");
    assertThat(refusal(answer(state, spec("", "application/json", null, null, false)))).isEqualTo(Refusal.INVALID);
    assertThat(refusal(answer(state, spec("1", null, null, null, false)))).isEqualTo(Refusal.CONTENT_TYPE_MISSING);
    assertThat(refusal(answer(state, spec("1", "text/plain", null, null, false))))
        .isEqualTo(Refusal.CONTENT_TYPE_MISMATCH);
    assertThat(refusal(answer(state, spec("{", "application/json", null, null, false)))).isEqualTo(Refusal.INVALID);
    // parameters and case do not matter; JSON is stored normalized
    AppendRule.Decision taken = decide(state, spec("[ 1, {\"a\": 2} ]", "Application/JSON; charset=utf-8", null, null, false));
    assertThat(taken).isInstanceOf(AppendRule.Take.class);
    byte[] stored = ((AppendRule.Take) taken).event().message().data();
    assertThat(new String(stored, StandardCharsets.UTF_8)).isEqualTo("1,{\"a\":2}");
  }

  @Test
  void aCloseWithoutDataIsJournaledAsACloseAfterTheProducerCheck() {
    StreamState state = StreamStates.created("text/plain");
    Producer first = new Producer("w", 0, 0);
    AppendRule.Decision close = decide(state, spec("", null, null, first, true));
    assertThat(close).isEqualTo(new AppendRule.Close(new StreamClosed(first, NOW)));
    assertThat(refusal(answer(state, spec("", null, null, new Producer("w", 0, 3), true)))).isEqualTo(Refusal.SEQ_GAP);
  }

  @Test
  void streamSeqMustRiseAndWaitsWhenOnlyTheOpenBatchHoldsTheLastOne() {
    StreamState state = StreamStates.created("text/plain");
    state.apply(new MessageAppended(new Message(Offsets.next(state.tail, 1), new byte[] {'a'}), "005", null, false, NOW));
    assertThat(refusal(answer(state, spec("b", "text/plain", "005", null, false)))).isEqualTo(Refusal.SEQ_CONFLICT);

    AppendRule.Decision taken = decide(state, spec("b", "text/plain", "007", null, false));
    MessageAppended event = ((AppendRule.Take) taken).event();
    assertThat(event.message().offset()).isEqualTo(Offsets.next(state.tail, 1));
    batcher.add(event, client.getRef());
    // "006" is above what is durable but not above the batch: refused only once the batch is written
    assertThat(decide(state, spec("c", "text/plain", "006", null, false))).isInstanceOf(AppendRule.WaitForBatch.class);
    // the next message follows the batch's tail, not the journaled one
    AppendRule.Decision next = decide(state, spec("cc", "text/plain", "008", null, false));
    assertThat(((AppendRule.Take) next).event().message().offset()).isEqualTo(Offsets.next(event.message().offset(), 2));
  }
}
