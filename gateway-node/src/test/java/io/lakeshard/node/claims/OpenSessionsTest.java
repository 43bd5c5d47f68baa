package io.lakeshard.node.claims;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.node.claims.OpenSessions.CutReason;
import io.lakeshard.node.claims.OpenSessions.SessionHolder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenSessionsTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private FakeClaimsVersions versions;
  private OpenSessions sessions;

  @BeforeEach
  void setUp() {
    versions = new FakeClaimsVersions();
    sessions = new OpenSessions(versions, testKit.system().scheduler(), testKit.system().executionContext(),
        Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static SessionHolder holder(String user, long version) {
    return new SessionHolder(user, version, Instant.MAX);
  }

  @Test
  void aRaiseCutsTheUsersStaleSessionsOnceAndNoOtherSession() {
    List<String> cuts = new CopyOnWriteArrayList<>();
    sessions.register(holder("ann", 1), reason -> cuts.add("ann@1 " + reason));
    sessions.register(holder("ann", 1), reason -> cuts.add("ann@1b " + reason));
    sessions.register(holder("ann", 3), reason -> cuts.add("ann@3 " + reason));
    sessions.register(holder("bob", 1), reason -> cuts.add("bob@1 " + reason));

    versions.raise("ann", OptionalLong.of(2));
    versions.raise("ann", OptionalLong.of(2));
    versions.raise("ann", OptionalLong.empty()); // 3: the ann@3 session is still current

    assertThat(cuts).containsExactlyInAnyOrder("ann@1 TOKEN_VERSION_STALE", "ann@1b TOKEN_VERSION_STALE");
    versions.raise("ann", OptionalLong.of(4));
    assertThat(cuts).hasSize(3).contains("ann@3 TOKEN_VERSION_STALE");
  }

  @Test
  void aClosedRegistrationIsNeverCut() {
    TestProbe<CutReason> cut = testKit.createTestProbe();
    sessions.register(holder("ann", 1), cut.ref()::tell).close();
    sessions.register(new SessionHolder("ann", 1, Instant.now().plusMillis(200)), cut.ref()::tell).close();

    versions.raise("ann", OptionalLong.of(5));
    // past the moment the closed expiring session's timer would have fired
    cut.expectNoMessage(Duration.ofMillis(600));
  }

  @Test
  void aSessionIsCutWhenItsGraceEndsAndOnlyOnce() {
    TestProbe<CutReason> cut = testKit.createTestProbe();
    Instant cutAt = Instant.now().plusMillis(300);
    sessions.register(new SessionHolder("ann", 1, cutAt), cut.ref()::tell);

    CutReason reason = cut.expectMessage(Duration.ofSeconds(5), CutReason.GRACE_PERIOD_EXPIRED);
    assertThat(reason).isEqualTo(CutReason.GRACE_PERIOD_EXPIRED);
    assertThat(Instant.now()).isAfterOrEqualTo(cutAt);
    versions.raise("ann", OptionalLong.of(9)); // already cut: not again
    cut.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void aSessionAlreadyPastItsGraceIsCutAtOnce() {
    TestProbe<CutReason> cut = testKit.createTestProbe();
    sessions.register(new SessionHolder("ann", 1, Instant.now().minusSeconds(1)), cut.ref()::tell);

    cut.expectMessage(Duration.ofSeconds(2), CutReason.GRACE_PERIOD_EXPIRED);
  }

  @Test
  void aRaiseThatLandedBeforeRegistrationStillCuts() {
    TestProbe<CutReason> cut = testKit.createTestProbe();
    versions.raiseUntold("ann", 2); // between the token check and register: no onRaised will come

    sessions.register(holder("ann", 1), cut.ref()::tell);

    cut.expectMessage(Duration.ofSeconds(2), CutReason.TOKEN_VERSION_STALE);
  }
}
