package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.lakeshard.node.auth.JwtAuth;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JwtAuthTest {
  private static final String CURRENT = "current-secret-current-secret-current-secret";
  private static final String PREVIOUS = "previous-secret-previous-secret-previous-secret";
  private final Clock clock = Clock.systemUTC();

  @Test
  void tokensSignedWithThePreviousSecretPassWhileSecretsRotate() throws Exception {
    JwtAuth auth = new JwtAuth(CURRENT, PREVIOUS, clock);
    String old = JwtAuth.sign(PREVIOUS, "alice", "gw1", true, Duration.ofMinutes(1), clock);
    assertThat(auth.verify(old))
        .isEqualTo(new JwtAuth.Principal("alice", "gw1", true, Map.of("sub", List.of("alice"))));

    JwtAuth rotated = new JwtAuth(CURRENT, "", clock);
    assertThatThrownBy(() -> rotated.verify(old)).isInstanceOf(JwtAuth.InvalidTokenException.class);
  }

  /** As LakeSync's verifyToken: string and string-list claims but the standard ones, and sub. */
  @Test
  void customClaimsThatAreStringsOrListsOfStringsStayWithThePrincipal() throws Exception {
    JwtAuth auth = new JwtAuth(CURRENT, "", clock);
    SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .subject("alice").claim("gw", "gw1").claim("role", "client").issuer("me").audience("them")
        .issueTime(new Date()).expirationTime(Date.from(clock.instant().plusSeconds(60)))
        .claim("org", "acme").claim("teams", List.of("red", "blue")).claim("jti", "t-1")
        .claim("level", 3).claim("mixed", List.of("a", 1)).claim("nested", Map.of("a", "b")).claim("none", List.of())
        .build());
    token.sign(new MACSigner(CURRENT.getBytes(StandardCharsets.UTF_8)));
    JwtAuth.Principal principal = auth.verify(token.serialize());
    assertThat(principal.claims()).isEqualTo(Map.of("sub", List.of("alice"), "org", List.of("acme"),
        "teams", List.of("red", "blue"), "jti", List.of("t-1"), "none", List.of()));
    assertThat(auth.verify(token.serialize())).as("from the checked tokens").isEqualTo(principal);
  }

  @Test
  void aTokenCheckedOnceStillExpiresOnTime() throws Exception {
    Instant start = Instant.parse("2026-11-25T12:00:00Z");
    MutableClock now = new MutableClock(start);
    JwtAuth auth = new JwtAuth(CURRENT, "", now);
    String token = JwtAuth.sign(CURRENT, "alice", "gw1", false, Duration.ofMinutes(1), now);
    assertThat(auth.verify(token).clientId()).isEqualTo("alice");
    assertThat(auth.verify(token).clientId()).as("from the checked tokens").isEqualTo("alice");

    now.instant = start.plus(Duration.ofMinutes(2));
    assertThatThrownBy(() -> auth.verify(token)).isInstanceOf(JwtAuth.InvalidTokenException.class)
        .hasMessageContaining("expired");
  }

  /** A clock the test moves. */
  private static final class MutableClock extends Clock {
    Instant instant;

    MutableClock(Instant instant) {
      this.instant = instant;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return instant;
    }
  }

  @Test
  void refusesSecretsTooShortForHs256() {
    assertThatThrownBy(() -> new JwtAuth("short", "", clock))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 32 bytes");
  }

  @Test
  void streamReaderTokensCarryTheirSessionAndNeedOurSignatureAndAnExpiry() throws Exception {
    JwtAuth auth = new JwtAuth(CURRENT, "", clock);
    assertThat(auth.verifyStreamReader(JwtAuth.signStreamReader(CURRENT, "abc", Duration.ofMinutes(1), clock)))
        .hasValue("abc");
    assertThat(auth.verifyStreamReader(JwtAuth.sign(CURRENT, "alice", "gw1", false, Duration.ofMinutes(1), clock)))
        .as("a gateway token has no session").isEmpty();
    assertThatThrownBy(() -> auth.verifyStreamReader(
        JwtAuth.signStreamReader(CURRENT, "abc", Duration.ofMinutes(-1), clock))).hasMessage("token expired");
    assertThatThrownBy(() -> auth.verifyStreamReader(
        JwtAuth.signStreamReader(PREVIOUS, "abc", Duration.ofMinutes(1), clock))).hasMessage("bad token signature");

    SignedJWT withoutExpiry = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
        new JWTClaimsSet.Builder().claim("session_id", "abc").build());
    withoutExpiry.sign(new MACSigner(CURRENT.getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> auth.verifyStreamReader(withoutExpiry.serialize())).hasMessage("token has no exp");
  }
}
