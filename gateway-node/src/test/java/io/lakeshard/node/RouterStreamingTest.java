package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB upload and a 1 GiB download through the router of a node running in its own JVM with a
 * 256 MiB heap: both arrive complete (length and CRC-32), so neither body was held in memory (it
 * could not fit). The node reads its backend from {@code BACKEND_BIG_URL}, as a deployment does.
 */
class RouterStreamingTest {
  private static final long GIB = 1L << 30;
  @TempDir
  static Path dir;
  private static EchoUpstreams.Jdk upstream;
  private static Process node;
  private static int routerPort;
  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    upstream = new EchoUpstreams.Jdk("big");
    routerPort = FreePorts.next();
    ProcessBuilder builder = SingleNodeProcess.builder(dir.resolve("data"), FreePorts.next());
    builder.environment().put("LAKESHARD_ROUTER_PORT", Integer.toString(routerPort));
    builder.environment().put("BACKEND_BIG_URL", upstream.url());
    builder.environment().put("LAKESHARD_ROUTER_DEFAULT_BACKEND", "big");
    node = builder.redirectErrorStream(true).redirectOutput(dir.resolve("node.log").toFile()).start();
    Await.until("the node's router answers /health", Duration.ofSeconds(60), () -> {
      try {
        return client.send(HttpRequest.newBuilder(uri("/health")).build(), HttpResponse.BodyHandlers.ofString())
            .statusCode() == 200;
      } catch (Exception notYet) {
        return false;
      }
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.destroy();
      if (!node.waitFor(20, TimeUnit.SECONDS)) {
        node.destroyForcibly();
      }
    }
    upstream.close();
  }

  @Test
  void aGibibyteUploadPassesWithTheNodesHeapBounded() throws Exception {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/upload"))
        .timeout(Duration.ofSeconds(240))
        .POST(HttpRequest.BodyPublishers.fromPublisher(
            HttpRequest.BodyPublishers.ofInputStream(() -> EchoUpstreams.Pattern.stream(GIB)), GIB))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(GIB + " " + EchoUpstreams.Pattern.crc(GIB));
    assertThat(node.isAlive()).isTrue();
  }

  @Test
  void aGibibyteDownloadPassesWithTheNodesHeapBounded() throws Exception {
    HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(uri("/download?size=" + GIB))
        .timeout(Duration.ofSeconds(240)).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(GIB);
    assertThat(EchoUpstreams.Pattern.checksum(response.body())).isEqualTo(GIB + " " + EchoUpstreams.Pattern.crc(GIB));
    assertThat(node.isAlive()).isTrue();
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + routerPort + path);
  }
}
