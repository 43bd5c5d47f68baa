package io.lakeshard.node.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * HS256 tokens signed with the node's secret (or the previous one, while secrets rotate), read
 * once: a token's signature is checked and its claims turned into a {@code T} the first time it
 * is seen, and the {@code T} kept. A client sends the same token with every request; parsing it
 * and checking its HMAC was a tenth of an HTTP push's cost. Only tokens signed by us are kept, so
 * no one can fill the cache with tokens of their own; time-dependent checks (expiry) are the
 * caller's, on every use.
 */
public final class SignedTokens<T> {
  /** HS256 wants a key of at least its hash's size: 256 bits. */
  public static final int MIN_SECRET_BYTES = 32;
  /** The most tokens kept once read; past this many the map starts afresh. */
  private static final int MAX_KEPT = 10_000;

  private final List<MACVerifier> verifiers = new ArrayList<>();
  private final Map<String, T> kept = new ConcurrentHashMap<>();
  private final Function<JWTClaimsSet, T> reading;

  /** {@code reading}: what a token signed by us says, computed once per token. */
  public SignedTokens(String secret, String previousSecret, Function<JWTClaimsSet, T> reading) {
    this.reading = reading;
    verifiers.add(verifier(secret));
    if (!previousSecret.isEmpty()) {
      verifiers.add(verifier(previousSecret));
    }
  }

  private static MACVerifier verifier(String secret) {
    byte[] key = secret.getBytes(StandardCharsets.UTF_8);
    if (key.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "JWT secret must be at least " + MIN_SECRET_BYTES + " bytes (HS256), got " + key.length);
    }
    try {
      return new MACVerifier(key);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable JWT secret: " + e.getMessage(), e);
    }
  }

  /** The token's reading, if it is well formed, HS256 (never none, HS512, RS256…) and signed by us. */
  public T read(String token) throws JwtAuth.InvalidTokenException {
    T known = kept.get(token);
    if (known != null) {
      return known;
    }
    T read = reading.apply(checkedClaims(token));
    if (kept.size() >= MAX_KEPT) {
      kept.clear();
    }
    kept.put(token, read);
    return read;
  }

  private JWTClaimsSet checkedClaims(String token) throws JwtAuth.InvalidTokenException {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new JwtAuth.InvalidTokenException("malformed token");
    }
    if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
      throw new JwtAuth.InvalidTokenException("only HS256 tokens are accepted");
    }
    if (!signedByUs(jwt)) {
      throw new JwtAuth.InvalidTokenException("bad token signature");
    }
    return claims;
  }

  private boolean signedByUs(SignedJWT jwt) {
    for (MACVerifier verifier : verifiers) {
      try {
        if (jwt.verify(verifier)) {
          return true;
        }
      } catch (JOSEException e) {
        return false;
      }
    }
    return false;
  }
}
