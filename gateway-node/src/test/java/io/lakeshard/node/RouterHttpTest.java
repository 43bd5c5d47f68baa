package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The x-backend router of one real node in front of real upstreams (a JDK HttpServer and a Pekko
 * HTTP server): routing, the location override, passthrough of methods, bodies, queries and
 * repeated headers, hop-by-hop headers, CORS, credentials, and every error body. Health is checked
 * once at start (interval and cache 1 h), so each backend's gate stays as that check left it.
 */
class RouterHttpTest {
  private static final String SECRET = "Bearer s3cret-upstream-token";
  @TempDir
  static Path dir;
  private static EchoUpstreams.Jdk jdk;
  private static EchoUpstreams.Jdk sick;
  private static EchoUpstreams.Jdk stopped;
  private static EchoUpstreams.Pekko pekko;
  private static LakeshardNode node;
  private static ListAppender<ILoggingEvent> logs;
  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    logs = new ListAppender<>();
    logs.start();
    rootLogger().addAppender(logs);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.lakeshard.node.router")).setLevel(Level.DEBUG);
    jdk = new EchoUpstreams.Jdk("jdk");
    sick = new EchoUpstreams.Jdk("sick");
    sick.healthStatus.set(500);
    stopped = new EchoUpstreams.Jdk("stopped");
    pekko = new EchoUpstreams.Pekko("pekko");
    Path secret = Files.writeString(dir.resolve("jdk-credential"), SECRET + "\n");
    node = TestNode.start(dir.resolve("node"), Map.ofEntries(
        Map.entry("lakeshard.router.port", 0),
        Map.entry("lakeshard.router.default-backend", "jdk"),
        Map.entry("lakeshard.router.upstream-timeout", "1s"),
        Map.entry("lakeshard.router.health.interval", "1h"),
        Map.entry("lakeshard.router.health.cache-ttl", "1h"),
        Map.entry("lakeshard.router.backends.jdk.url", jdk.url()),
        Map.entry("lakeshard.router.backends.jdk.name", "JDK server"),
        Map.entry("lakeshard.router.backends.jdk.auth.file", secret.toString()),
        Map.entry("lakeshard.router.backends.pekko.url", pekko.url() + "/base"),
        Map.entry("lakeshard.router.backends.shared.url", jdk.url()),
        Map.entry("lakeshard.router.backends.sick.url", sick.url()),
        Map.entry("lakeshard.router.backends.stopped.url", stopped.url())));
    Await.until("the start's health checks", Duration.ofSeconds(20), () -> backendHealth("sick").equals("unhealthy")
        && backendHealth("stopped").equals("healthy") && backendHealth("jdk").equals("healthy"));
  }

  @AfterAll
  static void stop() throws Exception {
    node.stop().toCompletableFuture().join();
    jdk.close();
    sick.close();
    stopped.close();
    pekko.close();
    rootLogger().detachAppender(logs);
  }

  @Test
  void routesByHeaderAndByDefault() throws Exception {
    assertThat(echo(send(router("/a").header("x-backend", "pekko"))).path("server").asText()).isEqualTo("pekko");
    JsonNode byDefault = echo(send(router("/a")));
    assertThat(byDefault.path("server").asText()).isEqualTo("jdk");
    // the backend's base path comes first
    assertThat(echo(send(router("/items/7").header("x-backend", "pekko"))).path("path").asText()).isEqualTo("/base/items/7");
  }

  @Test
  void thePathReachesTheUpstreamAsTheClientEncodedIt() throws Exception {
    assertThat(echo(send(router("/files/a%2Fb/c%20d%3F"))).path("path").asText()).isEqualTo("/files/a%2Fb/c%20d%3F");
    assertThat(echo(send(router("/files/a%2Fb").header("x-backend", "pekko"))).path("path").asText())
        .as("below the backend's base path").isEqualTo("/base/files/a%2Fb");
  }

  @Test
  void theLocationHeaderPicksTheRegistry() throws Exception {
    HttpResponse<String> put = admin("PUT", "/v1/admin/backends/shared", "{\"url\":\"" + pekko.url() + "\",\"name\":\"Shared\"}");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(EchoUpstreams.JSON.readTree(put.body()).path("confirmed").asBoolean()).isTrue();
    assertThat(echo(send(router("/x").header("x-backend", "shared"))).path("server").asText()).isEqualTo("jdk");
    assertThat(echo(send(router("/x").header("x-backend", "shared").header("x-backend-location", "cloud")))
        .path("server").asText()).isEqualTo("pekko");
    assertThat(echo(send(router("/x").header("x-backend", "shared").header("x-backend-location", "LOCAL")))
        .path("server").asText()).isEqualTo("jdk");

    HttpResponse<String> unknown = send(router("/x").header("x-backend", "shared").header("x-backend-location", "moon"));
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(EchoUpstreams.JSON.readTree(unknown.body()).path("error").asText()).isEqualTo("Invalid Backend Location");
    // the cloud registry knows only what was registered; its valid_backends say so
    JsonNode notInCloud = EchoUpstreams.JSON.readTree(
        send(router("/x").header("x-backend", "pekko").header("x-backend-location", "cloud")).body());
    assertThat(notInCloud.path("valid_backends")).extracting(JsonNode::asText).contains("shared").doesNotContain("pekko");
  }

  @Test
  void everyMethodWithItsBodyQueryAndRepeatedHeadersPassesThrough() throws Exception {
    for (String server : List.of("jdk", "pekko")) {
      for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
        String body = "{\"method\":\"" + method + "\"}";
        HttpResponse<String> response = send(router("/things?a=1&b=x%20y&a=2")
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .header("x-backend", server).header("Content-Type", "application/json")
            .header("X-Multi", "one").header("X-Multi", "two"));
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode echo = EchoUpstreams.JSON.readTree(response.body());
        assertThat(echo.path("method").asText()).isEqualTo(method);
        assertThat(echo.path("body").asText()).isEqualTo(body);
        assertThat(echo.path("query").asText()).isEqualTo("a=1&b=x%20y&a=2");
        assertThat(echo.path("headers").path("content-type").get(0).asText()).startsWith("application/json");
        assertThat(values(echo.path("headers").path("x-multi"))).containsExactly("one", "two");
        assertThat(echo.path("headers").path("x-forwarded-for").get(0).asText()).isEqualTo("127.0.0.1");
        assertThat(echo.path("headers").path("x-forwarded-proto").get(0).asText()).isEqualTo("http");
      }
    }
    HttpResponse<String> get = send(router("/plain?q=1").header("x-backend", "pekko"));
    assertThat(echo(get).path("method").asText()).isEqualTo("GET");
  }

  @Test
  void statusAndHeadersComeBackAsTheyAreWithTheRoutersCors() throws Exception {
    HttpResponse<String> answer = send(router("/teapot").header("x-backend", "jdk"));
    assertThat(answer.statusCode()).isEqualTo(418);
    assertThat(answer.headers().allValues("X-Upstream")).containsExactly("jdk");
    assertThat(answer.headers().allValues("Set-Cookie")).containsExactly("a=1", "b=2");
    assertThat(answer.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
    assertThat(answer.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, POST, PUT, DELETE, PATCH, OPTIONS");
    assertThat(answer.headers().firstValue("Access-Control-Allow-Headers").orElseThrow()).contains("Content-Type", "x-backend");

    HttpResponse<String> preflight = send(router("/anything").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", "https://app.example").header("Access-Control-Request-Method", "PATCH"));
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods").orElseThrow()).contains("PATCH");
    assertThat(jdk.paths).doesNotContain("/anything");
  }

  @Test
  void hopByHopHeadersAreDroppedAndForwardingHeadersAdded() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.routerPort().orElseThrow())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /hop HTTP/1.1\r\nHost: api.example:8443\r\nx-backend: jdk\r\nConnection: close, X-Hop\r\n"
          + "X-Hop: secret-hop\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\n"
          + "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 200");
      JsonNode headers = EchoUpstreams.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).path("headers");
      assertThat(headers.has("x-hop")).isFalse();
      assertThat(headers.has("keep-alive")).isFalse();
      assertThat(headers.has("te")).isFalse();
      assertThat(headers.has("upgrade")).isFalse();
      assertThat(headers.path("connection").toString()).doesNotContainIgnoringCase("x-hop");
      assertThat(headers.path("host").get(0).asText()).isEqualTo(URI.create(jdk.url()).getAuthority());
      assertThat(headers.path("x-forwarded-host").get(0).asText()).isEqualTo("api.example:8443");
      assertThat(headers.path("x-forwarded-for").get(0).asText()).isEqualTo("10.0.0.1, 127.0.0.1");
      assertThat(headers.path("x-forwarded-proto").get(0).asText()).isEqualTo("http");
    }
  }

  @Test
  void theBackendsCredentialReplacesTheClientsAndIsNeverShown() throws Exception {
    JsonNode echo = echo(send(router("/private").header("x-backend", "jdk").header("Authorization", "Bearer client")));
    assertThat(values(echo.path("headers").path("authorization"))).containsExactly(SECRET);
    assertThat(echo(send(router("/p").header("x-backend", "pekko"))).path("headers").has("authorization")).isFalse();

    String backends = send(router("/backends")).body();
    String listing = admin("GET", "/v1/admin/backends", null).body();
    assertThat(backends).contains("\"jdk\"").doesNotContain("s3cret");
    assertThat(listing).contains("\"jdk\"").doesNotContain("s3cret");
    assertThat(EchoUpstreams.JSON.readTree(listing).path("backends")).anySatisfy(entry -> {
      assertThat(entry.path("id").asText()).isEqualTo("jdk");
      assertThat(entry.path("has_credential").asBoolean()).isTrue();
    });
    assertThat(logs.list).isNotEmpty().noneSatisfy(event -> assertThat(event.getFormattedMessage()).contains("s3cret"));
  }

  @Test
  void healthAndBackendsAsTheSpecHasThem() throws Exception {
    HttpResponse<String> health = send(router("/health"));
    assertThat(health.statusCode()).isEqualTo(200);
    JsonNode body = EchoUpstreams.JSON.readTree(health.body());
    assertThat(body.path("status").asText()).isEqualTo("healthy");
    assertThat(body.path("node_ready").asBoolean()).isTrue();
    assertThat(body.has("version")).isTrue();
    assertThat(java.time.Instant.parse(body.path("timestamp").asText())).isNotNull();
    assertThat(health.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");

    JsonNode jdkEntry = backend("jdk");
    assertThat(jdkEntry.path("name").asText()).isEqualTo("JDK server");
    assertThat(jdkEntry.path("url").asText()).isEqualTo(jdk.url());
    assertThat(jdkEntry.path("health").asText()).isEqualTo("healthy");
    assertThat(java.time.Instant.parse(jdkEntry.path("last_check").asText())).isNotNull();
    assertThat(jdkEntry.path("latency").isNumber()).isTrue();
    assertThat(backend("sick").path("health").asText()).isEqualTo("unhealthy");
  }

  /** The admin listing (the admin page reads it) shows each local backend's health as the router's /backends does. */
  @Test
  void theAdminListingShowsEachBackendsHealthAsTheRouterDoes() throws Exception {
    JsonNode listing = EchoUpstreams.JSON.readTree(admin("GET", "/v1/admin/backends", null).body()).path("backends");
    List<String> checked = new java.util.ArrayList<>();
    for (JsonNode entry : listing) {
      if (entry.path("location").asText().equals("local")) {
        JsonNode routers = backend(entry.path("id").asText());
        for (String field : List.of("health", "last_check", "latency")) {
          assertThat(entry.path(field)).as(entry.path("id").asText() + " " + field).isEqualTo(routers.path(field));
        }
        checked.add(entry.path("id").asText() + "=" + entry.path("health").asText());
      }
    }
    assertThat(checked).contains("jdk=healthy", "sick=unhealthy");
  }

  @Test
  void anUnknownOrMalformedBackendIsA400NamingTheValidOnes() throws Exception {
    for (String value : List.of("nope", "", "JDK", "a_b", "x".repeat(65), "../jdk")) {
      HttpResponse<String> response = send(router("/x").header("x-backend", value));
      assertThat(response.statusCode()).as(value).isEqualTo(400);
      JsonNode body = EchoUpstreams.JSON.readTree(response.body());
      assertThat(body.path("error").asText()).isEqualTo("Invalid Backend");
      assertThat(body.path("message").asText()).isNotEmpty();
      assertThat(values(body.path("valid_backends"))).containsExactly("jdk", "pekko", "shared", "sick", "stopped");
      assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    }
  }

  @Test
  void aBackendMarkedUnhealthyIsA503AndGetsNoRequest() throws Exception {
    assertJson(send(router("/work").header("x-backend", "sick")), 503,
        "{\"error\":\"Backend Unavailable\",\"message\":\"Backend 'sick' is unhealthy\",\"backend\":\"sick\"}");
    assertThat(sick.paths).doesNotContain("/work");
  }

  @Test
  void aStoppedUpstreamIsA503() throws Exception {
    stopped.close();
    assertJson(send(router("/work").header("x-backend", "stopped")), 503,
        "{\"error\":\"Backend Unavailable\",\"message\":\"Backend 'stopped' could not be reached\",\"backend\":\"stopped\"}");
  }

  @Test
  void aSlowUpstreamIsA504() throws Exception {
    assertJson(send(router("/slow").header("x-backend", "jdk")), 504,
        "{\"error\":\"Gateway Timeout\",\"message\":\"Backend did not respond within 1s\"}");
    // the router still answers the next request at once
    assertThat(send(router("/after").header("x-backend", "jdk")).statusCode()).isEqualTo(200);
  }

  @Test
  void theClusterRegistryIsChangedByAdminsOnly() throws Exception {
    String user = TestNode.token("someone", "gw");
    HttpResponse<String> notAdmin = client.send(HttpRequest.newBuilder(mainUri("/v1/admin/backends/x"))
        .header("Authorization", "Bearer " + user).PUT(HttpRequest.BodyPublishers.ofString("{\"url\":\"http://127.0.0.1:1\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    NodeHttp.assertError(notAdmin, 403, "FORBIDDEN");
    HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(mainUri("/v1/admin/backends")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    NodeHttp.assertError(anonymous, 401, "AUTH_ERROR");

    NodeHttp.assertError(admin("PUT", "/v1/admin/backends/Bad_Id", "{\"url\":\"http://127.0.0.1:1\"}"), 400, "VALIDATION_ERROR");
    NodeHttp.assertError(admin("PUT", "/v1/admin/backends/x", "{\"name\":\"no url\"}"), 400, "VALIDATION_ERROR");
    NodeHttp.assertError(admin("PUT", "/v1/admin/backends/x", "{\"url\":\"ftp://host\"}"), 400, "VALIDATION_ERROR");
    NodeHttp.assertError(admin("PUT", "/v1/admin/backends/x", "not json"), 400, "VALIDATION_ERROR");
    NodeHttp.assertError(admin("PUT", "/v1/admin/backends/x",
        "{\"url\":\"http://127.0.0.1:1\",\"auth_env\":\"LAKESHARD_JWT_SECRET\"}"), 400, "VALIDATION_ERROR");
    NodeHttp.assertError(admin("DELETE", "/v1/admin/backends/never-registered", null), 404, "NOT_FOUND");

    assertThat(admin("PUT", "/v1/admin/backends/temp", "{\"url\":\"" + jdk.url() + "\"}").statusCode()).isEqualTo(200);
    assertThat(echo(send(router("/t").header("x-backend", "temp").header("x-backend-location", "cloud")))
        .path("server").asText()).isEqualTo("jdk");
    HttpResponse<String> deleted = admin("DELETE", "/v1/admin/backends/temp", null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(send(router("/t").header("x-backend", "temp").header("x-backend-location", "cloud")).statusCode())
        .isEqualTo(400);
  }

  private static HttpRequest.Builder router(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.routerPort().orElseThrow() + path))
        .timeout(Duration.ofSeconds(20));
  }

  private static URI mainUri(String path) {
    return URI.create("http://127.0.0.1:" + node.httpPort() + path);
  }

  private static HttpResponse<String> admin(String method, String path, String body) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(mainUri(path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + TestNode.adminToken("ops", "any"))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The answer's status, and its body exactly the JSON given (field order aside). */
  private static void assertJson(HttpResponse<String> response, int status, String json) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(EchoUpstreams.JSON.readTree(response.body())).isEqualTo(EchoUpstreams.JSON.readTree(json));
    assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
  }

  private static JsonNode echo(HttpResponse<String> response) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return EchoUpstreams.JSON.readTree(response.body());
  }

  private static List<String> values(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  private static JsonNode backend(String id) throws IOException, InterruptedException {
    for (JsonNode entry : EchoUpstreams.JSON.readTree(send(router("/backends")).body()).path("backends")) {
      if (entry.path("id").asText().equals(id)) {
        return entry;
      }
    }
    throw new AssertionError("no backend " + id + " in /backends");
  }

  private static String backendHealth(String id) {
    try {
      return backend(id).path("health").asText();
    } catch (IOException | InterruptedException | AssertionError e) {
      return "unreadable";
    }
  }

  private static ch.qos.logback.classic.Logger rootLogger() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }
}
