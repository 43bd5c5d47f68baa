package io.lakeshard.node.workspace;

import com.nimbusds.jwt.JWTClaimsSet;
import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.node.auth.SignedTokens;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Workspace tokens, as Work Squared's auth service issues them: HS256 with the node's JWT secret
 * (the previous one too while secrets rotate), {@code exp} required and honoured up to {@code
 * grace} past it, {@code nbf} when present, {@code iss} / {@code aud} when configured; the user in
 * {@code userId} (else {@code sub}), {@code workspaces: [{id, role}]} and a numeric {@code
 * workspaceClaimsVersion}. Whether the version is current and the workspace listed is the
 * caller's; this reads and checks one token.
 */
public final class WorkspaceTokens {
  /** A token's verdict: the token, or why not. */
  public sealed interface Verdict permits WorkspaceToken, WorkspaceRefusal {}

  /** What a token signed by us says, kept once read; the times are checked on every use. */
  private record Reading(Verdict verdict, Optional<Instant> notBefore) {}

  private final SignedTokens<Reading> tokens;
  private final Duration grace;
  private final Clock clock;

  public WorkspaceTokens(String secret, String previousSecret, WorkspaceSettings settings, Clock clock) {
    this.grace = settings.grace();
    this.clock = clock;
    this.tokens = new SignedTokens<>(secret, previousSecret,
        claims -> read(claims, settings.issuer(), settings.audience()));
  }

  /** The token of an {@code Authorization} header's value ({@code Bearer …}); none: TOKEN_MISSING. */
  public Verdict verifyAuthorization(Optional<String> authorization) {
    Optional<String> token = authorization.map(String::trim)
        .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(value -> value.substring(7).trim());
    if (authorization.isPresent() && !authorization.get().isBlank() && token.isEmpty()) {
      return invalid("the Authorization header is not a Bearer token");
    }
    return verify(token);
  }

  /** The token, checked now; empty or blank: TOKEN_MISSING. */
  public Verdict verify(Optional<String> token) {
    if (token.isEmpty() || token.get().isBlank()) {
      return new WorkspaceRefusal(WorkspaceCode.TOKEN_MISSING, "no token");
    }
    Reading reading;
    try {
      reading = tokens.read(token.get());
    } catch (JwtAuth.InvalidTokenException e) {
      return invalid(e.getMessage());
    }
    if (!(reading.verdict() instanceof WorkspaceToken valid)) {
      return reading.verdict();
    }
    Instant now = clock.instant();
    if (reading.notBefore().map(now::isBefore).orElse(false)) {
      return invalid("token not valid before its nbf");
    }
    if (!cutAt(valid).isAfter(now)) {
      return new WorkspaceRefusal(WorkspaceCode.GRACE_PERIOD_EXPIRED,
          "token of user " + valid.userId() + " expired at " + valid.expiresAt() + ", past the grace period of "
              + grace.toSeconds() + " s");
    }
    return valid;
  }

  /** When a session holding {@code token} must end: its {@code exp} plus the grace period. */
  public Instant cutAt(WorkspaceToken token) {
    return token.expiresAt().plus(grace);
  }

  private static Reading read(JWTClaimsSet claims, Optional<String> issuer, Optional<String> audience) {
    Optional<Instant> notBefore = Optional.ofNullable(claims.getNotBeforeTime()).map(Date::toInstant);
    return new Reading(verdict(claims, issuer, audience), notBefore);
  }

  private static Verdict verdict(JWTClaimsSet claims, Optional<String> issuer, Optional<String> audience) {
    Date expiry = claims.getExpirationTime();
    if (expiry == null) {
      return invalid("token has no exp");
    }
    if (issuer.isPresent() && !issuer.get().equals(claims.getIssuer())) {
      return invalid("token is not from issuer " + issuer.get());
    }
    if (audience.isPresent() && !claims.getAudience().contains(audience.get())) {
      return invalid("token is not for audience " + audience.get());
    }
    Optional<String> userId = stringClaim(claims, "userId").or(() -> Optional.ofNullable(claims.getSubject()))
        .filter(id -> !id.isEmpty());
    if (userId.isEmpty()) {
      return invalid("token has no userId (or sub)");
    }
    if (!(claims.getClaim("workspaceClaimsVersion") instanceof Number version)
        || version.doubleValue() != Math.rint(version.doubleValue()) || version.longValue() < 0) {
      return invalid("token has no workspaceClaimsVersion (a whole number, 0 or more)");
    }
    if (!(claims.getClaim("workspaces") instanceof List<?> listed)) {
      return invalid("token has no workspaces claim ([{id, role}])");
    }
    Map<String, WorkspaceRole> workspaces = new HashMap<>();
    for (Object entry : listed) {
      if (!(entry instanceof Map<?, ?> workspace) || !(workspace.get("id") instanceof String id) || id.isEmpty()
          || !(workspace.get("role") instanceof String role) || WorkspaceRole.of(role).isEmpty()) {
        return invalid("each entry of workspaces needs an id and a role of owner, admin or member");
      }
      workspaces.put(id, WorkspaceRole.of(role).get());
    }
    return new WorkspaceToken(userId.get(), workspaces, version.longValue(), expiry.toInstant());
  }

  private static Optional<String> stringClaim(JWTClaimsSet claims, String name) {
    try {
      return Optional.ofNullable(claims.getStringClaim(name));
    } catch (ParseException e) {
      return Optional.empty();
    }
  }

  private static WorkspaceRefusal invalid(String message) {
    return new WorkspaceRefusal(WorkspaceCode.TOKEN_INVALID, message);
  }
}
