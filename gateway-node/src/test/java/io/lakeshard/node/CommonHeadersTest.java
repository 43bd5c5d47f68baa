package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.hlcNow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LakeSync's CORS and common headers, as a browser on another origin meets them, on a real node
 * with and without {@code lakeshard.http.allowed-origins} (LAKESHARD_ALLOWED_ORIGINS).
 */
class CommonHeadersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APP = "https://app.example";
  private static final String ELSEWHERE = "https://elsewhere.example";

  @TempDir Path dataDir;
  private LakeshardNode node;
  private NodeHttp http;

  private void start(Map<String, ?> overrides) {
    node = TestNode.start(dataDir, overrides);
    http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
  }

  @AfterEach
  void stopNode() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
  }

  /** A browser's preflight for a JSON push with a bearer token, from {@code origin}. */
  private HttpResponse<String> preflight(String path, String origin) throws Exception {
    return http.send("OPTIONS", path, null, null, "Origin", origin, "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "authorization, content-type");
  }

  private static String header(HttpResponse<?> response, String name) {
    List<String> values = response.headers().allValues(name);
    assertThat(values).as(name + " (once)").hasSizeLessThanOrEqualTo(1);
    return values.isEmpty() ? null : values.get(0);
  }

  private static void assertCorsFor(HttpResponse<?> response, String origin) {
    assertThat(header(response, "Access-Control-Allow-Origin")).isEqualTo(origin);
    assertThat(header(response, "Access-Control-Allow-Methods")).isEqualTo("GET, POST, DELETE, OPTIONS");
    assertThat(header(response, "Access-Control-Allow-Headers"))
        .isEqualTo("Authorization, Content-Type, X-Client-Id, X-Auth-Claims");
    assertThat(header(response, "Access-Control-Expose-Headers"))
        .isEqualTo("X-Checkpoint-Hlc, X-Sync-Rules-Version, X-Request-Id");
    assertThat(header(response, "Access-Control-Max-Age")).isEqualTo("86400");
  }

  private static void assertNoCors(HttpResponse<?> response) {
    assertThat(response.headers().map().keySet()).noneMatch(name -> name.toLowerCase().startsWith("access-control-"));
  }

  private static void assertRequestId(HttpResponse<?> response) {
    assertThat(UUID.fromString(header(response, "X-Request-Id")).version()).isEqualTo(4);
  }

  private static void assertSecurityHeaders(HttpResponse<?> response) {
    assertThat(header(response, "X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(header(response, "X-Frame-Options")).isEqualTo("DENY");
  }

  @Test
  void withoutAnAllowListPreflightsOnAnyPathAre204BeforeAuthAndEchoTheOrigin() throws Exception {
    start(Map.of());
    for (String path : List.of("/v1/sync/gw1/push", "/v1/sync/gw1/pull", "/v1/admin/metrics/gw1", "/sync/gw1/push",
        "/no/such/route")) {
      HttpResponse<String> preflight = preflight(path, APP);
      assertThat(preflight.statusCode()).as(path).isEqualTo(204);
      assertCorsFor(preflight, APP);
      assertRequestId(preflight);
    }
    assertCorsFor(preflight("/v1/sync/gw1/push", ELSEWHERE), ELSEWHERE);

    HttpResponse<String> noOrigin = http.send("OPTIONS", "/v1/sync/gw1/push", null, null);
    assertThat(noOrigin.statusCode()).isEqualTo(204);
    assertCorsFor(noOrigin, "*");
  }

  @Test
  void anAllowListEchoesOnlyItsOwnOriginsAndGivesAnyOtherNoCorsHeaders() throws Exception {
    start(Map.of("lakeshard.http.allowed-origins", APP + ", https://admin.example"));
    HttpResponse<String> allowed = preflight("/v1/sync/gw1/push", APP);
    assertThat(allowed.statusCode()).isEqualTo(204);
    assertCorsFor(allowed, APP);
    assertCorsFor(preflight("/v1/sync/gw1/push", "https://admin.example"), "https://admin.example");

    HttpResponse<String> refused = preflight("/v1/sync/gw1/push", ELSEWHERE);
    assertThat(refused.statusCode()).isEqualTo(204);
    assertNoCors(refused);
    assertRequestId(refused);
    assertNoCors(http.send("OPTIONS", "/v1/sync/gw1/push", null, null));

    // The server still answers; the browser, seeing no Access-Control-Allow-Origin, withholds it.
    HttpResponse<String> pulled = http.send("GET", "/v1/sync/gw1/pull?since=0", null, null,
        "Origin", ELSEWHERE, "Authorization", "Bearer " + TestNode.token("alice", "gw1"));
    assertThat(pulled.statusCode()).isEqualTo(200);
    assertNoCors(pulled);
    assertSecurityHeaders(pulled);
  }

  @Test
  void aCrossOriginPushAndPullCarryCorsSecurityAndNoStoreHeaders() throws Exception {
    start(Map.of("lakeshard.http.allowed-origins", APP));
    String token = TestNode.token("alice", "gw1");
    HttpResponse<String> pushed = http.send("POST", "/v1/sync/gw1/push", "application/json",
        NodeHttp.push("alice", List.of(NodeHttp.delta("INSERT", "todos", "alice", "1", hlcNow(0), "[]"))),
        "Origin", APP, "Authorization", "Bearer " + token);
    HttpResponse<String> pulled = http.send("GET", "/v1/sync/gw1/pull?since=0", null, null,
        "Origin", APP, "Authorization", "Bearer " + token);
    HttpResponse<String> metrics = http.send("GET", "/v1/admin/metrics/gw1", null, null,
        "Origin", APP, "Authorization", "Bearer " + TestNode.adminToken("ops", "gw1"));
    HttpResponse<String> refusedPush = http.send("POST", "/v1/sync/gw1/push", "application/json", "{}",
        "Origin", APP);
    for (HttpResponse<String> response : List.of(pushed, pulled, metrics, refusedPush)) {
      assertCorsFor(response, APP);
      assertSecurityHeaders(response);
      assertRequestId(response);
      assertThat(header(response, "Cache-Control")).as(response.uri().toString()).isEqualTo("no-store");
    }
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
    assertThat(JSON.readTree(pulled.body()).get("deltas")).hasSize(1);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(refusedPush.statusCode()).isEqualTo(401);

    HttpResponse<String> health = http.send("GET", "/health", null, null, "Origin", APP);
    assertCorsFor(health, APP);
    assertSecurityHeaders(health);
    assertThat(header(health, "Cache-Control")).as("no-store is for sync and admin routes").isNull();
  }

  @Test
  void anIncomingRequestIdIsEchoedAndOtherwiseEachAnswerGetsItsOwn() throws Exception {
    start(Map.of());
    HttpResponse<String> traced = http.send("POST", "/v1/sync/gw1/push", "application/json", "{}",
        "X-Request-Id", "lb-trace-42");
    assertThat(header(traced, "X-Request-Id")).isEqualTo("lb-trace-42");
    assertThat(JSON.readTree(traced.body()).get("requestId").asText()).isEqualTo("lb-trace-42");

    HttpResponse<String> first = http.get("/v1/sync/gw1/pull", null);
    HttpResponse<String> second = http.get("/v1/nothing/here", null);
    assertRequestId(first);
    assertRequestId(second);
    assertThat(header(first, "X-Request-Id")).isNotEqualTo(header(second, "X-Request-Id"));
    assertThat(JSON.readTree(first.body()).get("requestId").asText()).isEqualTo(header(first, "X-Request-Id"));
    assertThat(JSON.readTree(second.body()).get("requestId").asText()).isEqualTo(header(second, "X-Request-Id"));
  }

  @Test
  void streamRoutesKeepTheirOwnCorsAndErrorBodies() throws Exception {
    start(Map.of("lakeshard.http.allowed-origins", APP));
    HttpResponse<String> preflight = preflight("/v1/stream/s1", ELSEWHERE);
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(header(preflight, "Access-Control-Allow-Origin")).isEqualTo("*");
    assertThat(header(preflight, "Access-Control-Allow-Methods")).contains("PUT", "HEAD");
    assertThat(header(preflight, "X-Content-Type-Options")).isEqualTo("nosniff");
    assertRequestId(preflight);

    HttpResponse<String> missing = http.send("GET", "/v1/stream/absent?offset=-1", null, null, "Origin", APP);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(header(missing, "Access-Control-Allow-Origin")).isEqualTo("*");
    assertThat(header(missing, "Cache-Control")).isNotEqualTo("no-store");
    assertThat(JSON.readTree(missing.body()).get("error").asText()).isEqualTo("NOT_FOUND");
    assertRequestId(missing);
  }
}
