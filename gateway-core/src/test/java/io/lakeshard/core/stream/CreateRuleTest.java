package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamEvent.RegistryChange;
import io.lakeshard.core.stream.StreamEvent.StreamCreated;
import io.lakeshard.core.stream.StreamEvent.StreamDeleted;
import io.lakeshard.core.stream.StreamEvent.StreamSoftDeleted;
import io.lakeshard.core.stream.StreamProtocol.CreateReply;
import io.lakeshard.core.stream.StreamProtocol.CreateSpec;
import io.lakeshard.core.stream.StreamProtocol.Created;
import io.lakeshard.core.stream.StreamProtocol.ForkBase;
import io.lakeshard.core.stream.StreamProtocol.ForkPoint;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Meta;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a PUT decides: answer as it is, refuse, or the events that create the stream. */
class CreateRuleTest {
  private static final long NOW = 1_000_000;

  private static CreateSpec spec(String contentType, Long ttl, String body, ForkPoint fork) {
    return new CreateSpec(contentType, ttl, null, false, body == null ? null : body.getBytes(StandardCharsets.UTF_8), fork);
  }

  private static CreateReply answer(CreateRule.Decision decision) {
    assertThat(decision).isInstanceOf(CreateRule.Answer.class);
    return ((CreateRule.Answer) decision).reply();
  }

  private static List<StreamEvent> events(CreateRule.Decision decision) {
    assertThat(decision).isInstanceOf(CreateRule.Write.class);
    return ((CreateRule.Write) decision).events();
  }

  @Test
  void aNewStreamGetsTheDefaultContentTypeItsBodyAndARegistryRecord() {
    List<StreamEvent> events = events(CreateRule.decide(new StreamState(), false, spec(null, null, "hi", null), null, true, NOW));
    assertThat(events).hasSize(2);
    StreamCreated created = (StreamCreated) events.get(0);
    assertThat(created.contentType()).isEqualTo(DurableStream.DEFAULT_CONTENT_TYPE);
    assertThat(created.messages()).extracting(Message::offset).containsExactly(Offsets.next(Offsets.ZERO, 2));
    assertThat(events.get(1)).isEqualTo(new RegistryChange(true, DurableStream.DEFAULT_CONTENT_TYPE, NOW));

    List<StreamEvent> unrecorded = events(CreateRule.decide(new StreamState(), false, spec("text/plain", null, null, null),
        null, false, NOW));
    assertThat(unrecorded).singleElement().isInstanceOf(StreamCreated.class);
  }

  @Test
  void aLiveStreamIsAnsweredAsItIsWithTheSameConfigurationAndIsAConflictWithAnother() {
    StreamState state = StreamStates.created("application/json");
    assertThat(answer(CreateRule.decide(state, true, spec("application/json; charset=utf-8", null, null, null), null, true, NOW)))
        .isEqualTo(new Created(state.meta(), false));
    assertThat(((Refused) answer(CreateRule.decide(state, true, spec("application/json", 60L, null, null), null, true, NOW)))
        .reason()).isEqualTo(Refusal.CONFLICT);
  }

  @Test
  void anExpiredStreamIsDeletedFirstAndASoftDeletedOneKeepsItsId() {
    StreamState expired = StreamStates.created("text/plain");
    List<StreamEvent> events = events(CreateRule.decide(expired, false, spec("text/plain", null, null, null), null, false, NOW));
    assertThat(events.get(0)).isEqualTo(new StreamDeleted(NOW));
    assertThat(events.get(1)).isInstanceOf(StreamCreated.class);

    StreamState softDeleted = StreamStates.created("text/plain");
    softDeleted.apply(new StreamEvent.ForkAttached("fork"));
    softDeleted.apply(new StreamSoftDeleted(NOW));
    assertThat(((Refused) answer(CreateRule.decide(softDeleted, false, spec("text/plain", null, null, null), null, false, NOW)))
        .reason()).isEqualTo(Refusal.CONFLICT);
  }

  @Test
  void anInvalidJsonBodyIsRefusedAndAnEmptyJsonArrayCreatesAnEmptyStream() {
    assertThat(((Refused) answer(CreateRule.decide(new StreamState(), false, spec("application/json", null, "{", null), null,
        false, NOW))).reason()).isEqualTo(Refusal.INVALID);
    StreamCreated empty = (StreamCreated) events(CreateRule.decide(new StreamState(), false,
        spec("application/json", null, "[]", null), null, false, NOW)).get(0);
    assertThat(empty.messages()).isEmpty();
  }

  @Test
  void aForkContinuesItsSourceKeepsItsContentTypeAndInheritsItsTtl() {
    ForkPoint point = new ForkPoint("source", null, 0);
    Message hot = new Message(Offsets.next(Offsets.ZERO, 1), new byte[] {'a'});
    ForkBase base = new ForkBase(new Meta("text/plain", hot.offset(), false, 300L, null), hot.offset(), 0, List.of(),
        List.of(hot));

    StreamCreated fork = (StreamCreated) events(CreateRule.decideFork(new StreamState(), false,
        spec(null, null, "b", point), base, false, NOW)).get(0);
    assertThat(fork.contentType()).isEqualTo("text/plain");
    assertThat(fork.ttlSeconds()).isEqualTo(300L);
    assertThat(fork.messages()).extracting(Message::offset)
        .containsExactly(hot.offset(), Offsets.next(hot.offset(), 1));

    StreamCreated own = (StreamCreated) events(CreateRule.decideFork(new StreamState(), false,
        spec(null, 10L, null, point), base, false, NOW)).get(0);
    assertThat(own.ttlSeconds()).isEqualTo(10L);

    assertThat(((Refused) answer(CreateRule.decideFork(new StreamState(), false, spec("application/json", null, null, point),
        base, false, NOW))).reason()).isEqualTo(Refusal.CONTENT_TYPE_MISMATCH);
  }

  @Test
  void aSourcesRefusalIsSaidInAForksTerms() {
    ForkPoint point = new ForkPoint("source", null, 0);
    assertThat(((Refused) answer(CreateRule.decideFork(new StreamState(), false, spec(null, null, null, point),
        Refused.of(Refusal.NOT_FOUND, "x"), false, NOW))).reason()).isEqualTo(Refusal.SOURCE_NOT_FOUND);
    assertThat(((Refused) answer(CreateRule.decideFork(new StreamState(), false, spec(null, null, null, point),
        Refused.of(Refusal.GONE, "x"), false, NOW))).reason()).isEqualTo(Refusal.SOURCE_GONE);
    Refused unavailable = Refused.of(Refusal.UNAVAILABLE, "x");
    assertThat(answer(CreateRule.decideFork(new StreamState(), false, spec(null, null, null, point), unavailable, false, NOW)))
        .isEqualTo(unavailable);
  }
}
