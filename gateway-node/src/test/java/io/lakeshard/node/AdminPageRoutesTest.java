package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the admin page is served with and the admin routes it reads, over real HTTP on one node:
 * the page's files and headers, this node's throughput counters (admin only, moved by real pushes
 * and appends), and the cluster view's streams and gateway flushing.
 */
class AdminPageRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir
  static Path dir;
  private static LakeshardNode node;
  private static NodeHttp http;

  @BeforeAll
  static void start() {
    // a first flush creates its Iceberg table: on a busy machine that has taken 20 s
    node = TestNode.start(dir, Map.of("lakeshard.http.ask-timeout", "60s"));
    http = new NodeHttp(node::httpPort, Duration.ofSeconds(70));
  }

  @AfterAll
  static void stop() {
    node.stop().toCompletableFuture().join();
  }

  @Test
  void thePageIsServedWithItsTypesAndASelfOnlyPolicy() throws Exception {
    HttpResponse<String> redirect = http.get("/admin", null);
    assertThat(redirect.statusCode()).isEqualTo(301);
    assertThat(redirect.headers().firstValue("Location")).hasValue("/admin/");

    for (List<String> file : List.of(List.of("/admin/", "text/html; charset=UTF-8", "<script type=\"module\" src=\"admin.js\">"),
        List.of("/admin/admin.js", "text/javascript; charset=UTF-8", "sessionStorage"),
        List.of("/admin/admin.css", "text/css; charset=UTF-8", "font-family"))) {
      HttpResponse<String> response = http.get(file.get(0), null);
      assertThat(response.statusCode()).as(file.get(0)).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).as(file.get(0)).hasValue(file.get(1));
      assertThat(response.body()).as(file.get(0)).contains(file.get(2));
      assertThat(response.headers().firstValue("Cache-Control")).as(file.get(0)).hasValue("no-cache");
      assertThat(response.headers().firstValue("Content-Security-Policy")).as(file.get(0)).hasValueSatisfying(csp ->
          assertThat(csp).contains("default-src 'self'", "script-src 'self'", "connect-src 'self'",
              "frame-ancestors 'none'").doesNotContain("unsafe", "*", "http"));
      assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
      assertThat(response.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    }
    // the page's files need no token (they hold no data); any other name under /admin/ is no file
    NodeHttp.assertError(http.get("/admin/secrets.js", null), 404, "NOT_FOUND");
  }

  @Test
  void throughputIsForAdminsAndCountsAcceptedPushesDeltasAndAppends() throws Exception {
    NodeHttp.assertError(http.get("/v1/admin/throughput", null), 401, "AUTH_ERROR");
    NodeHttp.assertError(http.get("/v1/admin/throughput", TestNode.token("c1", "tp")), 403, "FORBIDDEN");
    String admin = TestNode.adminToken("ops", "tp");
    JsonNode before = JSON.readTree(http.get("/v1/admin/throughput", admin).body());

    assertThat(http.post("/v1/sync/tp/push", TestNode.token("c1", "tp"), NodeHttp.push("c1", List.of(
        NodeHttp.delta("INSERT", "todos", "c1", "r1", NodeHttp.hlcNow(0), "[]"),
        NodeHttp.delta("INSERT", "todos", "c1", "r2", NodeHttp.hlcNow(1), "[]")))).statusCode()).isEqualTo(200);
    // a refused push counts nothing
    assertThat(http.post("/v1/sync/tp/push", TestNode.token("c1", "tp"), NodeHttp.push("other", List.of()))
        .statusCode()).isEqualTo(403);
    assertThat(http.send("PUT", "/v1/stream/tp-stream", "text/plain", "a").statusCode()).isEqualTo(201);
    assertThat(http.send("POST", "/v1/stream/tp-stream", "text/plain", "b").statusCode()).isEqualTo(204);

    JsonNode after = JSON.readTree(http.get("/v1/admin/throughput", admin).body());
    assertThat(after.path("pushes").asLong() - before.path("pushes").asLong()).isEqualTo(1);
    assertThat(after.path("deltas").asLong() - before.path("deltas").asLong()).isEqualTo(2);
    assertThat(after.path("appends").asLong() - before.path("appends").asLong()).isEqualTo(1);
    assertThat(after.path("atMillis").asLong()).isGreaterThanOrEqualTo(before.path("atMillis").asLong());
  }

  @Test
  void theClusterViewListsStreamsAndEachGatewaysFlushing() throws Exception {
    String admin = TestNode.adminToken("ops", "fl");
    assertThat(http.post("/v1/sync/fl/push", TestNode.token("c1", "fl"), NodeHttp.push("c1", List.of(
        NodeHttp.delta("INSERT", "todos", "c1", "r1", NodeHttp.hlcNow(0), "[]")))).statusCode()).isEqualTo(200);
    assertThat(http.send("PUT", "/v1/stream/fl-stream", "application/json", "[]").statusCode()).isEqualTo(201);
    assertThat(http.send("POST", "/v1/stream/fl-stream", "application/json", "[1]").statusCode()).isEqualTo(204);

    JsonNode unflushed = gateway(admin, "fl");
    assertThat(unflushed.path("bufferedDeltas").asInt()).isEqualTo(1);
    assertThat(unflushed.path("lastFlushAt").isNull()).isTrue();
    assertThat(unflushed.path("flushFailures").asInt()).isZero();
    assertThat(unflushed.path("backpressure").asBoolean()).isFalse();
    assertThat(unflushed.path("throttledPushes").asLong()).isZero();
    JsonNode stream = entry(cluster(admin).path("streams"), "fl-stream");
    assertThat(stream.path("contentType").asText()).isEqualTo("application/json");
    assertThat(stream.path("closed").asBoolean()).isFalse();
    assertThat(stream.path("tail").asText()).isNotEmpty();
    assertThat(cluster(admin).path("streams")).as("the registry stream is the node's own")
        .noneSatisfy(entry -> assertThat(entry.path("id").asText()).startsWith("__"));

    Instant beforeFlush = Instant.ofEpochMilli(System.currentTimeMillis());
    assertThat(http.post("/v1/admin/flush/fl", admin, "").statusCode()).isEqualTo(200);
    JsonNode flushed = gateway(admin, "fl");
    assertThat(flushed.path("lastFlushSeq").asLong()).isEqualTo(1);
    assertThat(Instant.parse(flushed.path("lastFlushAt").asText())).isAfterOrEqualTo(beforeFlush);
    assertThat(flushed.path("bufferedDeltas").asInt()).isZero();
  }

  private static JsonNode cluster(String admin) throws Exception {
    HttpResponse<String> response = http.get("/v1/admin/cluster", admin);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private static JsonNode gateway(String admin, String id) throws Exception {
    return entry(cluster(admin).path("gateways"), id);
  }

  private static JsonNode entry(JsonNode list, String id) {
    for (JsonNode entry : list) {
      if (entry.path("id").asText().equals(id)) {
        return entry;
      }
    }
    throw new AssertionError("no " + id + " in " + list);
  }
}
