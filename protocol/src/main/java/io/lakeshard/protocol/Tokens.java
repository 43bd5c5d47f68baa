package io.lakeshard.protocol;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Map;

/**
 * The bearer tokens a node accepts, minted: HS256 with the node's secret, {@code exp} always set.
 * Shared by the node (its dev-token command and tests), the {@code lakeshard} command line and the
 * benchmark, so that every client signs exactly what the node's verifiers read.
 */
public final class Tokens {
  /** A gateway token's gateway. */
  public static final String GATEWAY = "gw";
  /** {@code role=admin} opens the admin routes. */
  public static final String ROLE = "role";
  public static final String ADMIN = "admin";
  /** A stream read token's session: it reads the stream {@code session:{id}}. */
  public static final String SESSION_ID = "session_id";
  /** A workspace token's user, memberships and claims version (Work Squared's shape). */
  public static final String USER_ID = "userId";
  public static final String WORKSPACES = "workspaces";
  public static final String CLAIMS_VERSION = "workspaceClaimsVersion";

  private Tokens() {}

  /** {@code sub} = clientId, {@code gw} = the gateway, {@code role=admin} when asked. */
  public static String gateway(String secret, String clientId, String gatewayId, boolean admin, Duration ttl,
                               Clock clock) {
    JWTClaimsSet.Builder claims = expiring(ttl, clock).subject(clientId).claim(GATEWAY, gatewayId);
    if (admin) {
      claims.claim(ROLE, ADMIN);
    }
    return sign(secret, claims.build());
  }

  /** A stream read token; with a {@code sessionId}, one that also reads {@code session:{sessionId}}. */
  public static String streamReader(String secret, String sessionId, Duration ttl, Clock clock) {
    JWTClaimsSet.Builder claims = expiring(ttl, clock);
    if (sessionId != null) {
      claims.claim(SESSION_ID, sessionId);
    }
    return sign(secret, claims.build());
  }

  /** A workspace token: {@code roles} maps each workspace id to the user's role (owner, admin or member). */
  public static String workspace(String secret, String userId, Map<String, String> roles, long claimsVersion,
                                 Duration ttl, Clock clock) {
    return sign(secret, expiring(ttl, clock)
        .claim(USER_ID, userId)
        .claim(WORKSPACES, roles.entrySet().stream()
            .map(entry -> Map.of("id", entry.getKey(), "role", entry.getValue())).toList())
        .claim(CLAIMS_VERSION, claimsVersion)
        .build());
  }

  /** Any claims, signed HS256; a secret under 32 bytes (HS256's minimum) is an IllegalArgumentException. */
  public static String sign(String secret, JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("cannot sign with this secret: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  private static JWTClaimsSet.Builder expiring(Duration ttl, Clock clock) {
    return new JWTClaimsSet.Builder().expirationTime(Date.from(clock.instant().plus(ttl)));
  }
}
