package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's durable Distributed Data: a backend in the router's cluster registry is routed again
 * after the node stopped and started on the same data dir, and claims versions that an earlier
 * version kept in {@code claims-versions/} are still read once the store moved to {@code ddata/}.
 */
class RouterRegistryRestartTest {
  private static final Map<String, Object> ROUTER = Map.of(
      "lakeshard.router.port", 0,
      "lakeshard.router.environment", "cloud",
      "lakeshard.router.health.interval", "200ms");

  @TempDir Path dataDir;
  private LakeshardNode node;
  private EchoUpstreams.Jdk upstream;
  private final String admin = TestNode.adminToken("ops", "any");
  // the ports are read per request: they change with each start
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
  private final NodeHttp router = new NodeHttp(() -> node.routerPort().orElseThrow(), Duration.ofSeconds(15));

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void aRegisteredBackendIsRoutedAgainAfterARestart() throws Exception {
    upstream = new EchoUpstreams.Jdk("kept");
    node = TestNode.start(dataDir, ROUTER);
    HttpResponse<String> put = http.send("PUT", "/v1/admin/backends/shop", "application/json",
        "{\"url\":\"" + upstream.url() + "\",\"name\":\"Shop\",\"type\":\"jdk\"}", "Authorization", "Bearer " + admin);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    assertThat(routed("/orders?id=1").statusCode()).isEqualTo(200);

    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir, ROUTER);

    // The replicator loads its durable keys after the node is up: until then the registry is empty.
    Await.until("the restarted node routes to the backend registered before", Duration.ofSeconds(30),
        () -> status("/orders?id=1") == 200);
    JsonNode echo = EchoUpstreams.JSON.readTree(routed("/orders?id=1").body());
    assertThat(echo.path("server").asText()).isEqualTo("kept");
    JsonNode backends = EchoUpstreams.JSON.readTree(router.get("/backends", null).body()).path("backends");
    assertThat(backends).hasSize(1);
    assertThat(backends.get(0).path("name").asText()).isEqualTo("Shop");
  }

  @Test
  void claimsVersionsKeptWhereAnEarlierVersionWroteThemAreReadAfterTheMove() throws Exception {
    Path legacy = dataDir.resolve("claims-versions");
    // the earlier layout: the store in claims-versions/, nothing to adopt
    node = TestNode.start(dataDir, Map.of(
        "pekko.cluster.distributed-data.durable.file.dir", legacy.toString(),
        "pekko.cluster.distributed-data.durable.file.legacy-dir", ""));
    assertThat(version(http.post("/v1/admin/claims-version/ann", admin, "{\"version\": 4}"))).isEqualTo(4);
    node.stop().toCompletableFuture().join();
    assertThat(legacy).isDirectory();

    node = TestNode.start(dataDir);
    assertThat(version(http.get("/v1/admin/claims-version/ann", admin))).isEqualTo(4);
    assertThat(legacy).doesNotExist();
    try (var files = Files.list(dataDir.resolve("ddata"))) {
      assertThat(files).isNotEmpty();
    }
  }

  private HttpResponse<String> routed(String path) throws IOException, InterruptedException {
    return router.send("GET", path, null, null, "x-backend", "shop");
  }

  private int status(String path) {
    try {
      return routed(path).statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  private static long version(HttpResponse<String> response) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return EchoUpstreams.JSON.readTree(response.body()).get("version").asLong();
  }
}
