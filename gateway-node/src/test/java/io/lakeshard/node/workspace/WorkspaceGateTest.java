package io.lakeshard.node.workspace;

import static io.lakeshard.node.WorkspaceJwts.claims;
import static io.lakeshard.node.WorkspaceJwts.hs256;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.node.claims.ClaimsUnavailableException;
import io.lakeshard.node.claims.ClaimsVersions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The gate's fail-closed rule, with the claims versions' faults injected (a real node cannot be made to time out on cue). */
class WorkspaceGateTest {
  private static final String SECRET = "workspace-secret-workspace-secret-workspace";
  private static final WorkspaceTokens TOKENS = new WorkspaceTokens(SECRET, "",
      new WorkspaceSettings(true, Duration.ZERO, "", Optional.empty(), Optional.empty()), Clock.systemUTC());

  /** Versions whose every read answers {@code current}. */
  private record Versions(Function<String, CompletionStage<Long>> current) implements ClaimsVersions {
    @Override
    public CompletionStage<Long> current(String userId) {
      return current.apply(userId);
    }

    @Override
    public CompletionStage<Long> raise(String userId, OptionalLong version) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void onRaised(BiConsumer<String, Long> listener) {}
  }

  private static WorkspaceGate.Admission admit(ClaimsVersions versions) {
    String token = hs256(SECRET, claims("u1", Map.of("ws", "member"), 3, Instant.now().plusSeconds(60)).build());
    return new WorkspaceGate(TOKENS, versions, "").admit("ws",
        new WorkspaceGate.Credentials(Optional.of(token), Optional.empty(), Optional.of("ws")))
        .toCompletableFuture().join();
  }

  private static WorkspaceCode refused(WorkspaceGate.Admission admission) {
    assertThat(admission).isInstanceOf(WorkspaceGate.Refused.class);
    return ((WorkspaceGate.Refused) admission).refusal().code();
  }

  @Test
  void anUnreadableVersionRefusesRetryablyNeverAccepts() {
    assertThat(refused(admit(new Versions(user -> CompletableFuture.failedFuture(
        new ClaimsUnavailableException("no majority in time")))))).isEqualTo(WorkspaceCode.AUTH_UNAVAILABLE);
    assertThat(refused(admit(new Versions(user -> {
      throw new IllegalStateException("replicator gone");
    })))).isEqualTo(WorkspaceCode.AUTH_UNAVAILABLE);
  }

  @Test
  void theVersionDecidesStaleOrAdmitted() {
    assertThat(refused(admit(new Versions(user -> CompletableFuture.completedFuture(4L)))))
        .isEqualTo(WorkspaceCode.TOKEN_VERSION_STALE);
    WorkspaceGate.Admission admitted = admit(new Versions(user -> CompletableFuture.completedFuture(3L)));
    assertThat(admitted).isInstanceOf(WorkspaceGate.Admitted.class);
    assertThat(((WorkspaceGate.Admitted) admitted).holder().tokenVersion()).isEqualTo(3);
    assertThat(((WorkspaceGate.Admitted) admitted).role()).contains(WorkspaceRole.MEMBER);
  }
}
