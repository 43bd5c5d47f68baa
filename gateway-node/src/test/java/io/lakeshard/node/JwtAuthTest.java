package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class JwtAuthTest {
  private static final String CURRENT = "current-secret-current-secret-current-secret";
  private static final String PREVIOUS = "previous-secret-previous-secret-previous-secret";
  private final Clock clock = Clock.systemUTC();

  @Test
  void tokensSignedWithThePreviousSecretPassWhileSecretsRotate() throws Exception {
    JwtAuth auth = new JwtAuth(CURRENT, PREVIOUS, clock);
    String old = JwtAuth.sign(PREVIOUS, "alice", "gw1", true, Duration.ofMinutes(1), clock);
    assertThat(auth.verify(old)).isEqualTo(new JwtAuth.Principal("alice", "gw1", true));

    JwtAuth rotated = new JwtAuth(CURRENT, "", clock);
    assertThatThrownBy(() -> rotated.verify(old)).isInstanceOf(JwtAuth.InvalidTokenException.class);
  }

  @Test
  void refusesSecretsTooShortForHs256() {
    assertThatThrownBy(() -> new JwtAuth("short", "", clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 32 bytes");
  }
}
