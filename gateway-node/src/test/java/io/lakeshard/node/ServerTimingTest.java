package io.lakeshard.node;

import static io.lakeshard.node.LiveStoreTestClient.pullPayload;
import static io.lakeshard.node.LiveStoreTestClient.request;
import static io.lakeshard.node.NodeHttp.delta;
import static io.lakeshard.node.NodeHttp.hlcNow;
import static io.lakeshard.node.NodeHttp.push;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Server-Timing} on every route family of a real node (sync push and pull, streams,
 * LiveStore's HTTP transport, admin, the x-backend router in front of a real upstream): sent with
 * {@code X-Debug-Timing: 1}, in W3C syntax and with the parts each family reports; never without.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerTimingTest {
  private static final String LIVESTORE_TOKEN = "timing-livestore-token";
  private static final String LIVESTORE_PAYLOAD = "{\"authToken\":\"" + LIVESTORE_TOKEN + "\"}";
  /** {@code name;dur=ms}, comma separated, as RequestTiming writes it. */
  private static final Pattern ENTRY = Pattern.compile("([a-z]+);dur=(\\d+\\.\\d{3})");
  private static final Pattern HEADER = Pattern.compile(ENTRY.pattern() + "(, " + ENTRY.pattern() + ")*");

  private EchoUpstreams.Jdk upstream;
  private LakeshardNode node;
  private NodeHttp http;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start(@TempDir Path dataDir) throws Exception {
    upstream = new EchoUpstreams.Jdk("echo");
    node = TestNode.start(dataDir, Map.of(
        "lakeshard.livestore.auth-token", LIVESTORE_TOKEN,
        "lakeshard.http.ask-timeout", "60s",
        "lakeshard.router.port", 0,
        "lakeshard.router.health.interval", "1h",
        "lakeshard.router.backends.echo.url", upstream.url()));
    http = new NodeHttp(node::httpPort, Duration.ofSeconds(60));
  }

  @AfterAll
  void stop() throws Exception {
    node.stop().toCompletableFuture().join();
    upstream.close();
  }

  @Test
  void syncPushReportsItsJournalWriteInsideTheEntityAndPullItsEntity() throws Exception {
    String token = TestNode.token("alice", "timed");
    String body = push("alice", List.of(delta("INSERT", "todos", "alice", "r1", hlcNow(0), "[]")));
    Map<String, Double> pushed = parts(post("/v1/sync/timed/push", body, timing("Authorization", "Bearer " + token)));
    assertThat(pushed.keySet()).containsExactly("route", "entity", "journal");
    assertThat(pushed.get("journal")).as("the journal write is part of the entity's time")
        .isPositive().isLessThanOrEqualTo(pushed.get("entity"));
    assertThat(untimed(post("/v1/sync/timed/push",
        push("alice", List.of(delta("INSERT", "todos", "alice", "r2", hlcNow(1), "[]"))),
        "Authorization", "Bearer " + token, "X-Debug-Timing", "0"))).isTrue();

    assertThat(parts(get("/v1/sync/timed/pull?since=0", timing("Authorization", "Bearer " + token))).keySet())
        .containsExactly("route", "entity");
    assertThat(untimed(get("/v1/sync/timed/pull?since=0", "Authorization", "Bearer " + token))).isTrue();
  }

  @Test
  void streamAppendsAndReadsReportTheirEntity() throws Exception {
    assertThat(http.send("PUT", "/v1/stream/timed", "text/plain", null).statusCode()).isEqualTo(201);
    assertThat(parts(send("POST", "/v1/stream/timed", "text/plain", "hello", timing())).keySet())
        .containsExactly("route", "entity");
    assertThat(untimed(send("POST", "/v1/stream/timed", "text/plain", "world"))).isTrue();
    assertThat(parts(get("/v1/stream/timed?offset=-1", timing())).keySet()).containsExactly("route", "entity");
    assertThat(untimed(get("/v1/stream/timed?offset=-1"))).isTrue();
  }

  @Test
  void liveStoreHttpReportsItsEntity() throws Exception {
    String pull = request("p1", "SyncHttpRpc.Pull", pullPayload("timed", LIVESTORE_PAYLOAD, false));
    String path = "/livestore" + LiveStoreTestClient.query("timed", LIVESTORE_PAYLOAD, "http");
    assertThat(parts(send("POST", path, "application/json", pull, timing())).keySet()).containsExactly("route", "entity");
    assertThat(untimed(send("POST", path, "application/json", pull))).isTrue();
  }

  @Test
  void adminFlushReportsTheLakeAndStatsTheEntity() throws Exception {
    String admin = "Bearer " + TestNode.adminToken("ops", "flushed");
    HttpResponse<String> pushed = http.post("/v1/sync/flushed/push", TestNode.token("bob", "flushed"),
        push("bob", List.of(delta("INSERT", "todos", "bob", "f1", hlcNow(0), "[]"))));
    assertThat(pushed.statusCode()).isEqualTo(200);
    assertThat(parts(post("/v1/admin/flush/flushed", "", timing("Authorization", admin))).keySet())
        .containsExactly("route", "lake");
    assertThat(parts(get("/v1/admin/metrics/flushed", timing("Authorization", admin))).keySet())
        .containsExactly("route", "entity");
    assertThat(untimed(get("/v1/admin/metrics/flushed", "Authorization", admin))).isTrue();
  }

  @Test
  void theRouterReportsItsUpstreamAndCountsItPerBackend() throws Exception {
    PrometheusScrape before = PrometheusScrape.of(node.managementPort());
    String router = "http://127.0.0.1:" + node.routerPort().orElseThrow();
    HttpResponse<String> routed = client.send(HttpRequest.newBuilder(URI.create(router + "/anything"))
            .timeout(Duration.ofSeconds(30)).header("x-backend", "echo").header("X-Debug-Timing", "1").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(routed.statusCode()).as(routed.body()).isEqualTo(200);
    assertThat(parts(routed).keySet()).containsExactly("route", "upstream");
    HttpResponse<String> plain = client.send(HttpRequest.newBuilder(URI.create(router + "/anything"))
        .timeout(Duration.ofSeconds(30)).header("x-backend", "echo").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.headers().allValues("Server-Timing")).isEmpty();

    PrometheusScrape after = PrometheusScrape.of(node.managementPort());
    assertThat(after.value("lakeshard_router_upstream_seconds_count", "backend", "echo")
        - before.value("lakeshard_router_upstream_seconds_count", "backend", "echo")).isEqualTo(2);
    assertThat(after.value("lakeshard_router_upstream_errors_total", "backend", "echo", "reason", "unreachable"))
        .isZero();
  }

  // ---- helpers ----

  private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    return send("POST", path, "application/json", body, headers);
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    return send("GET", path, null, null, headers);
  }

  private HttpResponse<String> send(String method, String path, String contentType, String body, String... headers)
      throws Exception {
    return http.send(method, path, contentType, body, headers);
  }

  /** Headers with {@code X-Debug-Timing: 1} added. */
  private static String[] timing(String... headers) {
    String[] all = new String[headers.length + 2];
    System.arraycopy(headers, 0, all, 0, headers.length);
    all[headers.length] = "X-Debug-Timing";
    all[headers.length + 1] = "1";
    return all;
  }

  private static boolean untimed(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isLessThan(300);
    return response.headers().allValues("Server-Timing").isEmpty();
  }

  /** The parts of the response's one Server-Timing header, in order, each in milliseconds. */
  private static Map<String, Double> parts(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isLessThan(300);
    List<String> headers = response.headers().allValues("Server-Timing");
    assertThat(headers).hasSize(1);
    assertThat(headers.get(0)).matches(HEADER);
    Map<String, Double> parts = new LinkedHashMap<>();
    Matcher entry = ENTRY.matcher(headers.get(0));
    while (entry.find()) {
      parts.put(entry.group(1), Double.parseDouble(entry.group(2)));
    }
    return parts;
  }
}
