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
    ClusterSettings cluster,
    JournalKind journal) {

  /** Which journal plugin the entities write to ({@code lakeshard.journal.type}, resolved). */
  public enum JournalKind { SEGMENT, JDBC }

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
    String discovery = node.getString("cluster.discovery");
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
            discovery,
            commaList(node.getString("cluster.endpoints"))),
        journalKind(node.getString("journal.type"), discovery, node.getString("journal.url")));
  }

  /** auto: the segment journal for a single node on the embedded H2 database, else the JDBC journal. */
  static JournalKind journalKind(String type, String discovery, String jdbcUrl) {
    return switch (type) {
      case "auto" -> discovery.equals("off") && jdbcUrl.startsWith("jdbc:h2:") ? JournalKind.SEGMENT : JournalKind.JDBC;
      case "jdbc" -> JournalKind.JDBC;
      case "segment" -> {
        if (!discovery.equals("off")) {
          throw new IllegalArgumentException("LAKESHARD_JOURNAL=segment keeps the journal on this node's disk, but a"
              + " cluster (LAKESHARD_DISCOVERY=" + discovery + ") needs a shared one: use jdbc (PostgreSQL)");
        }
        yield JournalKind.SEGMENT;
      }
      default -> throw new IllegalArgumentException(
          "lakeshard.journal.type (LAKESHARD_JOURNAL) must be auto, segment or jdbc, not '" + type + "'");
    };
  }

  /** A comma-separated setting as its entries, trimmed; empty when it is empty. */
  private static List<String> commaList(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(entry -> !entry.isEmpty()).toList();
  }
}
