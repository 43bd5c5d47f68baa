package io.lakeshard.core.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.core.eventstore.EventStore.BackendIdMismatch;
import io.lakeshard.core.eventstore.EventStore.InvalidPush;
import io.lakeshard.core.eventstore.EventStore.ServerAhead;
import io.lakeshard.core.eventstore.PushRule.Decision;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PushRuleTest {
  private static final EventStoreSettings LIMITS = EventStoreSettings.fromConfig(ConfigFactory.load());
  private static final String BACKEND = "AAAAAAAAAAAAAAAAAAAAA";

  static LiveEvent event(long seqNum, long parent) {
    return new LiveEvent(seqNum, parent, "v1.Todo", "{\"n\":" + seqNum + "}", "client", "session");
  }

  private static Decision decide(long head, Optional<String> backendId, LiveEvent... batch) {
    return PushRule.decide(List.of(batch), backendId, BACKEND, head, 42L, LIMITS);
  }

  @Test
  void acceptsAChainStartingAtTheHeadStampedOnce() {
    Decision decision = decide(3, Optional.of(BACKEND), event(4, 3), event(5, 4), event(9, 5));

    assertThat(decision.refused()).isNull();
    assertThat(decision.accepted()).extracting(StoredEvent::seqNum).containsExactly(4L, 5L, 9L);
    assertThat(decision.accepted()).extracting(StoredEvent::createdAt).containsOnly(42L);
    assertThat(decision.accepted().get(0).json()).isEqualTo(EventJson.of(event(4, 3)));
  }

  @Test
  void aBatchBehindOrAheadOfTheHeadIsServerAhead() {
    assertThat(decide(5, Optional.empty(), event(4, 3)).refused()).isEqualTo(new ServerAhead(5, 3));
    assertThat(decide(5, Optional.empty(), event(8, 7)).refused()).isEqualTo(new ServerAhead(5, 7));
  }

  @Test
  void aChainBrokenInsideTheBatchNamesTheParentThatBreaksIt() {
    assertThat(decide(5, Optional.empty(), event(6, 5), event(8, 7)).refused()).isEqualTo(new ServerAhead(5, 7));
    assertThat(decide(5, Optional.empty(), event(6, 5), event(6, 6)).refused()).isEqualTo(new ServerAhead(5, 6));
    assertThat(decide(5, Optional.empty(), event(5, 5)).refused()).isEqualTo(new ServerAhead(5, 5));
    assertThat(decide(5, Optional.empty(), event(6, 5), event(4, 6)).refused()).isEqualTo(new ServerAhead(5, 6));
  }

  @Test
  void anotherBackendIdIsAMismatchBeforeTheHeadIsLookedAt() {
    assertThat(decide(5, Optional.of("other"), event(1, 0)).refused())
        .isEqualTo(new BackendIdMismatch(BACKEND, "other"));
  }

  @Test
  void refusesTooManyEventsMissingFieldsAndOversizeEvents() {
    List<LiveEvent> many = new ArrayList<>();
    for (int i = 1; i <= LIMITS.maxPushEvents() + 1; i++) {
      many.add(event(i, i - 1));
    }
    assertThat(PushRule.decide(many, Optional.empty(), BACKEND, 0, 1, LIMITS).refused()).isInstanceOf(InvalidPush.class);
    assertThat(decide(0, Optional.empty(), new LiveEvent(1, 0, null, null, "c", "s")).refused())
        .isInstanceOf(InvalidPush.class);
    List<LiveEvent> withNull = new ArrayList<>();
    withNull.add(null);
    assertThat(PushRule.decide(withNull, Optional.empty(), BACKEND, 0, 1, LIMITS).refused())
        .isInstanceOf(InvalidPush.class);

    String huge = "\"" + "x".repeat((int) LIMITS.pageBytes()) + "\"";
    assertThat(decide(0, Optional.empty(), new LiveEvent(1, 0, "e", huge, "c", "s")).refused())
        .isInstanceOf(InvalidPush.class);
  }

  @Test
  void refusesABatchOverTheMessageLimitThoughEachEventFitsAPage() {
    String half = "\"" + "x".repeat((int) LIMITS.maxMessageBytes() / 2) + "\"";
    Decision decision = decide(0, Optional.empty(),
        new LiveEvent(1, 0, "e", half, "c", "s"), new LiveEvent(2, 1, "e", half, "c", "s"));

    assertThat(decision.refused()).isInstanceOf(InvalidPush.class);
    assertThat(decision.accepted()).isEmpty();
  }
}
