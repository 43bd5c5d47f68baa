package io.lakeshard.node.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import io.lakeshard.protocol.Tokens;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * HS256 bearer tokens as LakeSync issues them: {@code sub} is the clientId, {@code gw} the
 * gateway the token is for, {@code role=admin} opens the admin routes, {@code exp} is required;
 * other string and string-list claims are what sync rules' {@code jwt:<claim>} values refer to.
 * Stream read tokens need only {@code exp}, and {@code session_id} for {@code session:{id}} streams.
 * Tokens signed with the previous secret still pass while secrets rotate.
 */
public final class JwtAuth {
  /** The registered claims LakeSync keeps out of a principal's {@link Principal#claims()}. */
  private static final Set<String> STANDARD_CLAIMS = Set.of("sub", "gw", "exp", "iat", "iss", "aud", "role");

  /**
   * What a valid token says about its holder. {@code claims}: as LakeSync's {@code customClaims},
   * every claim but the standard ones whose value is a string (kept as a list of one) or a list of
   * strings, and {@code sub}, so that rules can name {@code jwt:sub}.
   */
  public record Principal(String clientId, String gatewayId, boolean admin, Map<String, List<String>> claims) {
    /** A token is for one gateway: its {@code gw} claim. */
    public boolean isFor(String gateway) {
      return gateway.equals(gatewayId);
    }
  }

  /** A token that is missing, malformed, badly signed or expired: 401. */
  public static final class InvalidTokenException extends Exception {
    public InvalidTokenException(String message) {
      super(message);
    }
  }

  /** A checked token's claims, and its principal when it is a valid gateway token (made once, not per request). */
  private record Verified(JWTClaimsSet claims, Principal principal) {}

  private final SignedTokens<Verified> tokens;
  private final Clock clock;

  public JwtAuth(String secret, String previousSecret, Clock clock) {
    this.clock = clock;
    this.tokens = new SignedTokens<>(secret, previousSecret, JwtAuth::verified);
  }

  private static Verified verified(JWTClaimsSet claims) {
    try {
      return new Verified(claims, principal(claims));
    } catch (InvalidTokenException e) {
      return new Verified(claims, null); // a stream read token, or a gateway token verify() refuses
    }
  }

  /** A gateway token: signed by us, not expired, with a {@code sub} and a {@code gw} (LakeSync refuses either missing). */
  public Principal verify(String token) throws InvalidTokenException {
    Verified checked = verifiedToken(token);
    return checked.principal() != null ? checked.principal() : principal(checked.claims()); // the latter throws why
  }

  private static Principal principal(JWTClaimsSet claims) throws InvalidTokenException {
    String subject = claims.getSubject();
    if (subject == null || subject.isEmpty()) {
      throw new InvalidTokenException("token has no sub");
    }
    try {
      String gateway = claims.getStringClaim(Tokens.GATEWAY);
      if (gateway == null || gateway.isEmpty()) {
        throw new InvalidTokenException("token has no gw (the gateway it is for)");
      }
      boolean admin = Tokens.ADMIN.equals(claims.getStringClaim(Tokens.ROLE));
      return new Principal(subject, gateway, admin, customClaims(claims));
    } catch (ParseException e) {
      throw new InvalidTokenException("gw and role must be strings");
    }
  }

  private static Map<String, List<String>> customClaims(JWTClaimsSet claims) {
    Map<String, List<String>> custom = new HashMap<>();
    claims.getClaims().forEach((name, value) -> {
      if (STANDARD_CLAIMS.contains(name)) {
        return;
      }
      if (value instanceof String text) {
        custom.put(name, List.of(text));
      } else if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
        custom.put(name, list.stream().map(String.class::cast).toList());
      }
    });
    custom.put("sub", List.of(claims.getSubject()));
    return Map.copyOf(custom);
  }

  /** A stream read token: signed by us, not expired; its {@code session_id} claim, if it has one. */
  public Optional<String> verifyStreamReader(String token) throws InvalidTokenException {
    try {
      return Optional.ofNullable(verifiedToken(token).claims().getStringClaim(Tokens.SESSION_ID));
    } catch (ParseException e) {
      throw new InvalidTokenException("session_id must be a string");
    }
  }

  private Verified verifiedToken(String token) throws InvalidTokenException {
    Verified checked = tokens.read(token);
    unexpired(checked.claims());
    return checked;
  }

  private void unexpired(JWTClaimsSet claims) throws InvalidTokenException {
    Date expiry = claims.getExpirationTime();
    if (expiry == null) {
      throw new InvalidTokenException("token has no exp");
    }
    if (!expiry.toInstant().isAfter(clock.instant())) {
      throw new InvalidTokenException("token expired");
    }
  }

  /** Mints a token, for the dev-token command and tests. */
  public static String sign(String secret, String clientId, String gatewayId, boolean admin, Duration ttl, Clock clock) {
    return Tokens.gateway(secret, clientId, gatewayId, admin, ttl, clock);
  }

  /** Mints a stream read token for the {@code session:{sessionId}} stream, for the dev-token command and tests. */
  public static String signStreamReader(String secret, String sessionId, Duration ttl, Clock clock) {
    return Tokens.streamReader(secret, sessionId, ttl, clock);
  }
}
