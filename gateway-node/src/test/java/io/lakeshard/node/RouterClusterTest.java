package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster registry across three nodes: a backend registered on node 1 is routed by node 3, its
 * health gate flips both ways there as the upstream's health changes, and its removal reaches node 3.
 */
class RouterClusterTest {
  @TempDir
  static Path dir;
  private static List<LakeshardNode> nodes;
  private static EchoUpstreams.Jdk upstream;
  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    upstream = new EchoUpstreams.Jdk("registered");
    nodes = TestCluster.start(dir, Map.of(
        "lakeshard.router.port", 0,
        "lakeshard.router.environment", "cloud",
        "lakeshard.router.health.interval", "200ms",
        "lakeshard.router.health.timeout", "2s"));
  }

  @AfterAll
  static void stop() {
    TestCluster.stop(nodes);
    upstream.close();
  }

  @Test
  void aBackendRegisteredOnNodeOneIsRoutedByNodeThreeAndGatedByItsHealth() throws Exception {
    HttpResponse<String> put = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + nodes.get(0).httpPort() + "/v1/admin/backends/shop"))
        .header("Authorization", "Bearer " + TestNode.adminToken("ops", "any"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"url\":\"" + upstream.url() + "\",\"name\":\"Shop\",\"type\":\"jdk\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

    LakeshardNode third = nodes.get(2);
    Await.until("node 3 routes to the backend registered on node 1", Duration.ofSeconds(30),
        () -> status(third, "/orders?id=1") == 200);
    JsonNode echo = EchoUpstreams.JSON.readTree(routed(third, "/orders?id=1").body());
    assertThat(echo.path("server").asText()).isEqualTo("registered");
    assertThat(echo.path("query").asText()).isEqualTo("id=1");
    Await.until("node 3 has checked it healthy", Duration.ofSeconds(30), () -> health(third).equals("healthy"));

    upstream.healthStatus.set(503);
    Await.until("node 3 marks it unhealthy", Duration.ofSeconds(30), () -> status(third, "/orders") == 503);
    HttpResponse<String> refused = routed(third, "/orders");
    assertThat(EchoUpstreams.JSON.readTree(refused.body()).path("error").asText()).isEqualTo("Backend Unavailable");
    assertThat(health(third)).isEqualTo("unhealthy");

    upstream.healthStatus.set(200);
    Await.until("node 3 routes to it again once it recovered", Duration.ofSeconds(30), () -> status(third, "/orders") == 200);

    HttpResponse<String> delete = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + nodes.get(0).httpPort() + "/v1/admin/backends/shop"))
        .header("Authorization", "Bearer " + TestNode.adminToken("ops", "any")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(delete.statusCode()).isEqualTo(200);
    Await.until("node 3 no longer knows it", Duration.ofSeconds(30), () -> status(third, "/orders") == 400);
    assertThat(EchoUpstreams.JSON.readTree(routed(third, "/orders").body()).path("valid_backends")).isEmpty();
  }

  private static HttpResponse<String> routed(LakeshardNode node, String path) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.routerPort().orElseThrow() + path))
        .header("x-backend", "shop").timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int status(LakeshardNode node, String path) {
    try {
      return routed(node, path).statusCode();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  private static String health(LakeshardNode node) {
    try {
      JsonNode backends = EchoUpstreams.JSON.readTree(client.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + node.routerPort().orElseThrow() + "/backends")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).path("backends");
      return backends.size() == 1 ? backends.get(0).path("health").asText() : "absent";
    } catch (IOException | InterruptedException e) {
      return "unreadable";
    }
  }
}
