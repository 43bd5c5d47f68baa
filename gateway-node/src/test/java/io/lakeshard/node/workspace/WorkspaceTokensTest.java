package io.lakeshard.node.workspace;

import static io.lakeshard.node.WorkspaceJwts.claims;
import static io.lakeshard.node.WorkspaceJwts.hs256;
import static io.lakeshard.node.WorkspaceJwts.member;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import io.lakeshard.node.WorkspaceJwts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkspaceTokensTest {
  private static final String SECRET = "workspace-secret-workspace-secret-workspace";
  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static WorkspaceTokens tokens(Duration grace, Optional<String> issuer, Optional<String> audience) {
    return new WorkspaceTokens(SECRET, "", new WorkspaceSettings(true, grace, "", issuer, audience), CLOCK);
  }

  private static WorkspaceTokens.Verdict verify(WorkspaceTokens tokens, String token) {
    return tokens.verify(Optional.of(token));
  }

  private static WorkspaceCode code(WorkspaceTokens.Verdict verdict) {
    assertThat(verdict).isInstanceOf(WorkspaceRefusal.class);
    return ((WorkspaceRefusal) verdict).code();
  }

  @Test
  void aWorkSquaredTokenReadsAsItsUserWorkspacesAndVersion() {
    String token = hs256(SECRET, claims("u1", Map.of("ws-a", "owner", "ws-b", "member"), 3, NOW.plusSeconds(900))
        .issuer("auth").build());
    assertThat(verify(tokens(Duration.ZERO, Optional.of("auth"), Optional.empty()), token)).isEqualTo(
        new WorkspaceToken("u1", Map.of("ws-a", WorkspaceRole.OWNER, "ws-b", WorkspaceRole.MEMBER), 3,
            NOW.plusSeconds(900)));
  }

  @Test
  void subStandsInForAMissingUserId() {
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("u2").claim("workspaces", List.of())
        .claim("workspaceClaimsVersion", 0).expirationTime(Date.from(NOW.plusSeconds(60))).build();
    assertThat(verify(tokens(Duration.ZERO, Optional.empty(), Optional.empty()), hs256(SECRET, claims)))
        .isEqualTo(new WorkspaceToken("u2", Map.of(), 0, NOW.plusSeconds(60)));
  }

  @Test
  void forgedAndMalformedTokensAreInvalid() {
    WorkspaceTokens tokens = tokens(Duration.ofDays(1), Optional.empty(), Optional.empty());
    JWTClaimsSet good = claims("u1", member("ws"), 1, NOW.plusSeconds(60)).build();
    assertThat(code(verify(tokens, WorkspaceJwts.none(good)))).isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, WorkspaceJwts.hs512(SECRET, good)))).isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, WorkspaceJwts.rs256(good)))).isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, hs256("another-secret-another-secret-another-secret", good))))
        .isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, "not.a.jwt"))).isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, hs256(SECRET, claims("u1", member("ws"), 1, null).build()))))
        .as("no exp").isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, hs256(SECRET, new JWTClaimsSet.Builder(good).claim("workspaces", null).build()))))
        .as("no workspaces").isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, hs256(SECRET, new JWTClaimsSet.Builder(good)
        .claim("workspaceClaimsVersion", null).build())))).as("no version").isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, hs256(SECRET, new JWTClaimsSet.Builder(good)
        .claim("workspaces", List.of(Map.of("id", "ws", "role", "root"))).build()))))
        .as("unknown role").isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, hs256(SECRET, new JWTClaimsSet.Builder(good)
        .notBeforeTime(Date.from(NOW.plusSeconds(30))).build())))).as("nbf").isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(tokens.verify(Optional.empty()))).isEqualTo(WorkspaceCode.TOKEN_MISSING);
  }

  @Test
  void issuerAndAudienceAreCheckedWhenConfigured() {
    WorkspaceTokens tokens = tokens(Duration.ZERO, Optional.of("auth"), Optional.of("lakeshard"));
    JWTClaimsSet.Builder claims = claims("u1", member("ws"), 1, NOW.plusSeconds(60));
    assertThat(verify(tokens, hs256(SECRET, claims.issuer("auth").audience("lakeshard").build())))
        .isInstanceOf(WorkspaceToken.class);
    assertThat(code(verify(tokens, hs256(SECRET, claims.issuer("evil").build())))).isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(verify(tokens, hs256(SECRET, claims.issuer("auth").audience("other").build()))))
        .isEqualTo(WorkspaceCode.TOKEN_INVALID);
  }

  @Test
  void anExpiredTokenPassesWithinTheGraceOnly() {
    WorkspaceTokens tokens = tokens(Duration.ofHours(1), Optional.empty(), Optional.empty());
    String withinGrace = hs256(SECRET, claims("u1", member("ws"), 1, NOW.minusSeconds(3599)).build());
    String pastGrace = hs256(SECRET, claims("u1", member("ws"), 1, NOW.minusSeconds(3600)).build());
    assertThat(verify(tokens, withinGrace)).isInstanceOf(WorkspaceToken.class);
    assertThat(tokens.cutAt((WorkspaceToken) verify(tokens, withinGrace))).isEqualTo(NOW.plusSeconds(1));
    assertThat(code(verify(tokens, pastGrace))).isEqualTo(WorkspaceCode.GRACE_PERIOD_EXPIRED);
    assertThat(code(verify(tokens(Duration.ZERO, Optional.empty(), Optional.empty()), withinGrace)))
        .isEqualTo(WorkspaceCode.GRACE_PERIOD_EXPIRED);
  }

  @Test
  void theAuthorizationHeaderMustBeABearer() {
    WorkspaceTokens tokens = tokens(Duration.ZERO, Optional.empty(), Optional.empty());
    String token = hs256(SECRET, claims("u1", member("ws"), 1, NOW.plusSeconds(60)).build());
    assertThat(tokens.verifyAuthorization(Optional.of("Bearer " + token))).isInstanceOf(WorkspaceToken.class);
    assertThat(tokens.verifyAuthorization(Optional.of("bearer " + token))).isInstanceOf(WorkspaceToken.class);
    assertThat(code(tokens.verifyAuthorization(Optional.of("Basic dTpw")))).isEqualTo(WorkspaceCode.TOKEN_INVALID);
    assertThat(code(tokens.verifyAuthorization(Optional.empty()))).isEqualTo(WorkspaceCode.TOKEN_MISSING);
  }

  @Test
  void graceIsSecondsOrADuration() {
    com.typesafe.config.Config base = com.typesafe.config.ConfigFactory.parseString(
        "lakeshard.workspace { auth = on, server-bypass-token = \"\", issuer = \"\", audience = \"\" }");
    assertThat(WorkspaceSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString(
        "lakeshard.workspace.grace = 86400").withFallback(base)).grace()).isEqualTo(Duration.ofDays(1));
    assertThat(WorkspaceSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString(
        "lakeshard.workspace.grace = 2h").withFallback(base)).grace()).isEqualTo(Duration.ofHours(2));
  }
}
