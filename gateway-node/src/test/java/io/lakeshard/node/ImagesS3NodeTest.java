package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.adapter.r2.S3LakeAdapter;
import io.lakeshard.adapter.r2.S3ProxyServer;
import io.lakeshard.adapter.r2.S3Settings;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The image routes on a node whose object store is S3 (S3Proxy), with a configured public base. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ImagesS3NodeTest {
  private static final String BUCKET = "lakeshard-images";
  private static final String REGION = "us-east-1";
  private static final String PUBLIC_BASE = "https://cdn.example/api/images/";
  private static S3ProxyServer s3;

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(30));

  @BeforeAll
  @Timeout(value = 60, unit = TimeUnit.SECONDS) // S3Proxy waits at most 30 s
  static void startS3() throws Exception {
    s3 = S3ProxyServer.start(Files.createDirectories(Path.of("target", "images-s3-node")));
  }

  @AfterAll
  static void stopS3() {
    if (s3 != null) {
      s3.close();
    }
  }

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void anUploadLandsInTheBucketUnderCoversAndIsReadBackThroughTheNode() throws Exception {
    Map<String, Object> settings = new HashMap<>(Map.of(
        "lakeshard.lake.type", "s3",
        "lakeshard.lake.s3.endpoint", s3.endpoint(),
        "lakeshard.lake.s3.region", REGION,
        "lakeshard.lake.s3.bucket", BUCKET,
        "lakeshard.lake.s3.access-key", S3ProxyServer.ACCESS_KEY,
        "lakeshard.lake.s3.secret-key", S3ProxyServer.SECRET_KEY,
        "lakeshard.workspace.auth", "on",
        "lakeshard.images.public-base", PUBLIC_BASE));
    node = TestNode.start(dataDir, settings);
    ImageUploads images = new ImageUploads(http);
    byte[] image = ImageUploads.image("webp", 2 * 1024 * 1024 + 3);

    HttpResponse<String> uploaded = images.uploadForm(ImageUploads.token("carol"),
        ImageUploads.form("file", "cover.webp", "image/webp", image));

    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
    JsonNode body = ImageUploads.json(uploaded);
    String key = body.get("key").asText();
    assertThat(key).startsWith("covers/").endsWith(".webp");
    assertThat(body.get("url").asText()).as("the configured base, its trailing slash dropped")
        .isEqualTo("https://cdn.example/api/images/" + key);
    S3LakeAdapter bucket = new S3LakeAdapter(new S3Settings(s3.endpoint(), REGION, BUCKET,
        S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
    assertThat(bucket.get(key)).as("in the bucket").isEqualTo(image);

    HttpResponse<byte[]> read = images.read(http.uri("/api/images/" + key).toString());
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(image);
    assertThat(read.headers().firstValue("Content-Type")).hasValue("image/webp");
    assertThat(read.headers().firstValueAsLong("Content-Length")).hasValue(image.length);
    NodeHttp.assertError(http.get("/api/images/covers/00000000-0000-4000-8000-000000000000.webp", null),
        404, "NOT_FOUND");
  }
}
