package io.lakeshard.node;

import com.nimbusds.jwt.JWTClaimsSet;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.protocol.Tokens;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;

/** Starts a real node on 127.0.0.1 with ephemeral ports and its own data dir. */
final class TestNode {
  static final String SECRET = "test-secret-that-is-at-least-32-bytes-long";

  private TestNode() {}

  static LakeshardNode start(Path dataDir) {
    return start(dataDir, Map.of());
  }

  /** As {@link #start(Path)}, with {@code overrides} (config paths to values) on top of the test settings. */
  static LakeshardNode start(Path dataDir, Map<String, ?> overrides) {
    Map<String, Object> settings = new HashMap<>(Map.of(
        "lakeshard.data-dir", dataDir.toString(),
        "lakeshard.http.port", 0,
        "lakeshard.auth.secret", SECRET,
        "pekko.remote.artery.canonical.port", 0,
        "lakeshard.management.port", 0,
        "pekko.coordinated-shutdown.exit-jvm", "off"));
    settings.putAll(overrides);
    Config config = ConfigFactory.parseMap(settings);
    return LakeshardNode.start(ConfigFactory.load(config.withFallback(ConfigFactory.parseResources("application.conf"))))
        .toCompletableFuture().join();
  }

  static String token(String clientId, String gatewayId) {
    return JwtAuth.sign(SECRET, clientId, gatewayId, false, Duration.ofMinutes(10), Clock.systemUTC());
  }

  /** A client token that also carries {@code claims} (custom claims, as sync rules read them). */
  static String token(String clientId, String gatewayId, Map<String, ?> claims) {
    JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().subject(clientId).claim("gw", gatewayId)
        .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(10))));
    claims.forEach(builder::claim);
    return Tokens.sign(SECRET, builder.build());
  }

  static String adminToken(String clientId, String gatewayId) {
    return JwtAuth.sign(SECRET, clientId, gatewayId, true, Duration.ofMinutes(10), Clock.systemUTC());
  }
}
