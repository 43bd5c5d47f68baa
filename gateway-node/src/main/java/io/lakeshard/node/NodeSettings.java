package io.lakeshard.node;

import com.typesafe.config.Config;
import io.lakeshard.adapter.r2.S3Settings;
import io.lakeshard.core.gateway.GatewaySettings;
import io.lakeshard.node.sync.GatewayShards;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** Typed settings of a node, from {@code lakeshard.*}. */
public record NodeSettings(
    String httpHost,
    int httpPort,
    long maxBodyBytes,
    Duration askTimeout,
    Duration lakeWriteTimeout,
    int maxDeltasPerPush,
    long wsMaxFrameBytes,
    int wsBroadcastBuffer,
    Duration wsCloseTimeout,
    Duration lakeRetryAfter,
    Duration unbindTimeout,
    long refusedBodyDrainBytes,
    List<String> allowedOrigins,
    AuthSettings auth,
    StreamRouteSettings streams,
    GatewaySettings gateway,
    GatewayShards shards,
    LakeSettings lake,
    CatalogueSettings catalogue,
    ClusterSettings cluster) {

  /** {@code discovery} off, config (with {@code endpoints}, host:managementPort) or kubernetes-api. */
  public record ClusterSettings(String discovery, List<String> endpoints) {}

  public record AuthSettings(boolean enabled, String secret, String previousSecret) {}

  /**
   * The stream routes: {@code writeToken} every PUT, POST and DELETE must carry (empty: open),
   * {@code readJwt} whether GET and HEAD need an HS256 JWT signed with the auth secret. (Whether
   * streams are recorded in {@code __registry__} is the entity's setting, {@code lakeshard.stream.registry}.)
   */
  public record StreamRouteSettings(String writeToken, boolean readJwt) {}

  /** {@code type} local (with {@code dir}) or s3 (with {@code s3}). */
  public record LakeSettings(String type, Path dir, S3Settings s3, boolean createBucket) {}

  /** {@code type} jdbc (Iceberg's JdbcCatalog) or nessie. */
  public record CatalogueSettings(String type, String jdbcUrl, String jdbcUser, String jdbcPassword,
                                  String nessieUri, String nessieRef) {}

  public static NodeSettings fromConfig(Config config) {
    Config node = config.getConfig("lakeshard");
    return new NodeSettings(
        node.getString("http.host"),
        node.getInt("http.port"),
        node.getBytes("http.max-body-bytes"),
        node.getDuration("http.ask-timeout"),
        node.getDuration("http.lake-write-timeout"),
        node.getInt("push.max-deltas"),
        node.getBytes("websocket.max-frame-bytes"),
        node.getInt("websocket.broadcast-buffer"),
        node.getDuration("websocket.close-timeout"),
        node.getDuration("pull.lake-retry-after"),
        node.getDuration("http.unbind-timeout"),
        node.getBytes("http.refused-body-drain"),
        commaList(node.getString("http.allowed-origins")),
        new AuthSettings(
            node.getBoolean("auth.enabled"),
            node.getString("auth.secret"),
            node.getString("auth.previous-secret")),
        new StreamRouteSettings(
            node.getString("stream.auth.write-token"),
            node.getBoolean("stream.auth.read-jwt")),
        GatewaySettings.fromConfig(config),
        GatewayShards.fromConfig(config),
        new LakeSettings(
            node.getString("lake.type"),
            Path.of(node.getString("lake.dir")),
            new S3Settings(
                node.getString("lake.s3.endpoint"),
                node.getString("lake.s3.region"),
                node.getString("lake.s3.bucket"),
                node.getString("lake.s3.access-key"),
                node.getString("lake.s3.secret-key")),
            node.getBoolean("lake.s3.create-bucket")),
        new CatalogueSettings(
            node.getString("catalogue.type"),
            node.getString("catalogue.jdbc.url"),
            node.getString("catalogue.jdbc.user"),
            node.getString("catalogue.jdbc.password"),
            node.getString("catalogue.nessie.uri"),
            node.getString("catalogue.nessie.ref")),
        new ClusterSettings(
            node.getString("cluster.discovery"),
            commaList(node.getString("cluster.endpoints"))));
  }

  /** A comma-separated setting as its entries, trimmed; empty when it is empty. */
  private static List<String> commaList(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(entry -> !entry.isEmpty()).toList();
  }
}
