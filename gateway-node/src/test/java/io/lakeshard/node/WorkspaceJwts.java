package io.lakeshard.node;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.lakeshard.protocol.Tokens;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Workspace tokens as Work Squared's auth service mints them, and the forged ones attacks send. */
public final class WorkspaceJwts {
  private WorkspaceJwts() {}

  /** {@code userId}, {@code workspaces: [{id, role}]} ({@code roles}: id → role), the version, and {@code exp}. */
  public static JWTClaimsSet.Builder claims(String userId, Map<String, String> roles, long version, Instant exp) {
    return new JWTClaimsSet.Builder()
        .claim("userId", userId)
        .claim("email", userId + "@example.com")
        .claim("workspaces", roles.entrySet().stream()
            .map(entry -> Map.of("id", entry.getKey(), "role", entry.getValue())).toList())
        .claim("workspaceClaimsVersion", version)
        .expirationTime(exp == null ? null : Date.from(exp));
  }

  public static String hs256(String secret, JWTClaimsSet claims) {
    return Tokens.sign(secret, claims);
  }

  /** An unsigned token: header {@code {"alg":"none"}}, no signature. */
  public static String none(JWTClaimsSet claims) {
    return part("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + part(claims.toString()) + ".";
  }

  /** HMAC-SHA512 with the node's own secret: the right key, the wrong algorithm. */
  public static String hs512(String secret, JWTClaimsSet claims) {
    String signingInput = part("{\"alg\":\"HS512\",\"typ\":\"JWT\"}") + "." + part(claims.toString());
    try {
      Mac mac = Mac.getInstance("HmacSHA512");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA512"));
      return signingInput + "." + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** RS256 with a key pair of the attacker's own. */
  public static String rs256(JWTClaimsSet claims) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
      jwt.sign(new RSASSASigner(generator.generateKeyPair().getPrivate()));
      return jwt.serialize();
    } catch (NoSuchAlgorithmException | JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String part(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** One role in one workspace. */
  public static Map<String, String> member(String workspaceId) {
    return Map.of(workspaceId, "member");
  }
}
