package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI documents a real node serves (workspace mode on, so the image routes exist, and the
 * x-backend router on, in front of a real upstream), checked against that node: served alike as
 * YAML and JSON; every documented operation reaches a route (never the unknown-route 404) and
 * answers a status its operation lists; representative calls with credentials answer the
 * documented success with the body's required fields.
 */
class OpenApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();
  /** The body Pekko's rejection handler gives a path no route matches (JsonErrors keeps its text). */
  private static final String UNKNOWN_ROUTE = "The requested resource could not be found.";
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch");
  private static final String BYPASS = "openapi-test-server-bypass-token";
  /** The representative calls' gateway and store: not the document's example, which the sweeps change. */
  private static final String GATEWAY = "team";
  @TempDir
  static Path dir;
  private static EchoUpstreams.Jdk upstream;
  private static LakeshardNode node;
  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    upstream = new EchoUpstreams.Jdk("echo");
    node = TestNode.start(dir.resolve("node"), Map.of(
        "lakeshard.workspace.auth", "on",
        "lakeshard.workspace.server-bypass-token", BYPASS,
        "lakeshard.router.port", 0,
        "lakeshard.router.default-backend", "echo",
        "lakeshard.router.backends.echo.url", upstream.url(),
        "lakeshard.stream.longpoll-timeout", "300ms"));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void eachDocumentIsServedAlikeAsYamlAndJson() throws Exception {
    for (String[] paths : List.of(new String[] {"/openapi.yaml", "/v1/openapi.json"},
        new String[] {"/openapi/router.yaml", "/v1/openapi/router.json"})) {
      HttpResponse<String> yaml = send("GET", node.httpPort(), paths[0], Map.of(), null);
      HttpResponse<String> json = send("GET", node.httpPort(), paths[1], Map.of(), null);
      assertThat(yaml.statusCode()).as(paths[0]).isEqualTo(200);
      assertThat(json.statusCode()).as(paths[1]).isEqualTo(200);
      assertThat(yaml.headers().firstValue("Content-Type")).hasValue("application/yaml");
      assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
      JsonNode fromYaml = YAML.readTree(yaml.body());
      assertThat(JSON.readTree(json.body())).as(paths[1] + " is " + paths[0]).isEqualTo(fromYaml);
      assertThat(fromYaml.path("openapi").asText()).isEqualTo("3.1.0");
      assertThat(fromYaml.path("paths").size()).isPositive();
    }
  }

  /**
   * Every operation of the node's document, called without a body, without credentials and then
   * with the server bypass token (which passes the gateway and claims-version routes, so their
   * own answers are checked too): it reaches a route and answers one of its documented statuses.
   * A renamed route (or path in the document) answers the unknown-route 404 instead; a route
   * whose method changed answers 405.
   */
  @Test
  void everyOperationOfTheNodeDocumentIsRoutedAndAnswersADocumentedStatus() throws Exception {
    JsonNode document = document("/openapi.yaml");
    sweep(document, node.httpPort(), List.of(), false, bearer(BYPASS));
    List<String> checked = sweep(document, node.httpPort(), List.of(), false, Map.of());
    assertThat(checked).contains("GET /v1/sync/demo/pull", "PUT /v1/stream/my-stream",
        "POST /livestore?storeId=my-store&transport=http", "POST /api/upload-image", "GET /v1/admin/cluster",
        "OPTIONS /v1/stream/my-stream");
    // LakeSync v1 paths: the sync and admin routes also answer without the /v1 prefix.
    List<String> aliases = sweep(document, node.httpPort(), List.of("/v1/sync/", "/v1/admin/metrics/",
        "/v1/admin/flush/", "/v1/admin/checkpoint/", "/v1/admin/shards/", "/v1/admin/schema/", "/v1/admin/sync-rules/",
        "/v1/admin/livestore/", "/v1/admin/cluster"), true, Map.of());
    assertThat(aliases).contains("GET /sync/demo/pull", "POST /admin/flush/demo");
  }

  @Test
  void everyOperationOfTheRouterDocumentIsRoutedAndAnswersADocumentedStatus() throws Exception {
    List<String> checked = sweep(document("/openapi/router.yaml"), node.routerPort().orElseThrow(), List.of(), false,
        Map.of());
    assertThat(checked).contains("GET /health", "GET /backends", "POST /api", "OPTIONS /api");
    assertThat(upstream.paths).contains("/api");
  }

  /** Calls with credentials and bodies, each answering its documented success with the schema's required fields. */
  @Test
  void representativeCallsAnswerTheirDocumentedSuccess() throws Exception {
    JsonNode document = document("/openapi.yaml");
    int port = node.httpPort();
    String member = WorkspaceJwts.hs256(TestNode.SECRET, WorkspaceJwts.claims("alice", Map.of(GATEWAY, "owner"), 0,
        Instant.now().plusSeconds(600)).build());
    String admin = TestNode.adminToken("ops", GATEWAY);
    long hlc = System.currentTimeMillis() << 16;
    String push = "{\"clientId\":\"alice\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"todos\",\"rowId\":\"1\","
        + "\"clientId\":\"alice\",\"hlc\":\"" + hlc + "\",\"columns\":[{\"column\":\"title\",\"value\":\"milk\"}]}]}";
    expect(document, port, "post", "/v1/sync/{gw}/push", "/v1/sync/team/push", bearer(member), push, 200);
    HttpResponse<String> pull = expect(document, port, "get", "/v1/sync/{gw}/pull", "/v1/sync/team/pull?since=0",
        bearer(member), null, 200);
    assertThat(pull.headers().firstValue("X-Sync-Rules-Version")).hasValue("0");
    expect(document, port, "get", "/v1/sync/{gw}/checkpoint", "/v1/sync/team/checkpoint", bearer(member), null, 404);
    expect(document, port, "get", "/v1/sync/{gw}/actions", "/v1/sync/team/actions", bearer(member), null, 200);
    expect(document, port, "get", "/v1/admin/metrics/{gw}", "/v1/admin/metrics/team", bearer(member), null, 200);
    expect(document, port, "post", "/v1/admin/schema/{gw}", "/v1/admin/schema/team", bearer(member),
        "{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"}]}", 200);
    expect(document, port, "get", "/v1/admin/cluster", "/v1/admin/cluster", bearer(admin), null, 200);
    expect(document, port, "get", "/v1/admin/claims-version/{userId}", "/v1/admin/claims-version/alice",
        bearer(BYPASS), null, 200);
    expect(document, port, "post", "/v1/admin/claims-version/{userId}", "/v1/admin/claims-version/alice",
        bearer(BYPASS), "{\"version\": 0}", 200);
    expect(document, port, "get", "/v1/admin/backends", "/v1/admin/backends", bearer(admin), null, 200);

    String stream = "/v1/stream/openapi-" + System.nanoTime();
    Map<String, String> text = Map.of("Content-Type", "text/plain");
    HttpResponse<String> created = expect(document, port, "put", "/v1/stream/{id}", stream, text, "hello", 201);
    assertThat(created.headers().firstValue("Stream-Next-Offset")).isPresent();
    expect(document, port, "post", "/v1/stream/{id}", stream, text, " world", 204);
    HttpResponse<String> read = expect(document, port, "get", "/v1/stream/{id}", stream + "?offset=-1", Map.of(),
        null, 200);
    assertThat(read.body()).isEqualTo("hello world");
    assertThat(read.headers().firstValue("Stream-Up-To-Date")).hasValue("true");
    HttpResponse<String> polled = expect(document, port, "get", "/v1/stream/{id}",
        stream + "?live=long-poll&offset=" + read.headers().firstValue("Stream-Next-Offset").orElseThrow(), Map.of(),
        null, 204);
    assertThat(polled.headers().firstValue("Stream-Up-To-Date")).hasValue("true");
    expect(document, port, "head", "/v1/stream/{id}", stream, Map.of(), null, 200);
    expect(document, port, "delete", "/v1/stream/{id}", stream, Map.of(), null, 204);

    String payload = "{\"instanceId\":\"" + GATEWAY + "\",\"serverBypass\":\"" + BYPASS + "\"}";
    String query = "?storeId=" + GATEWAY + "&payload="
        + URLEncoder.encode(URLEncoder.encode(payload, StandardCharsets.UTF_8), StandardCharsets.UTF_8)
        + "&transport=http";
    HttpResponse<String> ping = expect(document, port, "post", "/livestore", "/livestore" + query,
        Map.of("Content-Type", "application/json"),
        LiveStoreTestClient.request("1", "SyncHttpRpc.Ping", "{\"storeId\":\"" + GATEWAY + "\"}"), 200);
    assertThat(JSON.readTree(ping.body()).get(0).path("_tag").asText()).isEqualTo("Exit");
    expect(document, port, "get", "/livestore", "/livestore" + query.replace("transport=http", "transport=ws"),
        Map.of(), null, 426);

    JsonNode router = document("/openapi/router.yaml");
    int routerPort = node.routerPort().orElseThrow();
    expect(router, routerPort, "get", "/backends", "/backends", Map.of(), null, 200);
    HttpResponse<String> invalid = expect(router, routerPort, "post", "/{path}", "/api",
        Map.of("x-backend", "no-such-backend"), "{}", 400);
    assertThat(JSON.readTree(invalid.body()).path("valid_backends").toString()).isEqualTo("[\"echo\"]");
  }

  // ---- the sweep ----

  /**
   * Calls every operation of {@code document} once (only those whose path starts with one of
   * {@code prefixes}, when any are given; {@code unprefixed}: with {@code /v1} dropped) with
   * {@code headers}, path parameters and required query parameters set to their examples;
   * returns what it called.
   */
  private static List<String> sweep(JsonNode document, int port, List<String> prefixes, boolean unprefixed,
                                    Map<String, String> headers) throws Exception {
    List<String> called = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = paths.next();
      String template = entry.getKey();
      if (!prefixes.isEmpty() && prefixes.stream().noneMatch(template::startsWith)) {
        continue;
      }
      for (Iterator<Map.Entry<String, JsonNode>> ops = entry.getValue().fields(); ops.hasNext(); ) {
        Map.Entry<String, JsonNode> op = ops.next();
        if (!METHODS.contains(op.getKey())) {
          continue;
        }
        String path = concrete(document, template, entry.getValue(), op.getValue());
        if (unprefixed) {
          path = path.substring("/v1".length());
        }
        String method = op.getKey().toUpperCase();
        HttpResponse<String> response = send(method, port, path, headers, null);
        String call = method + " " + path + (headers.isEmpty() ? "" : " with " + headers.keySet());
        assertThat(unknownRoute(response)).as(call + " reaches a route, not: " + response.body()).isFalse();
        assertThat(documented(op.getValue(), response.statusCode()))
            .as(call + " answered " + response.statusCode() + ", which " + template + " " + op.getKey()
                + " does not list: " + response.body())
            .isTrue();
        called.add(method + " " + path);
      }
    }
    return called;
  }

  /** The template with its path parameters and required query parameters set to their examples. */
  private static String concrete(JsonNode document, String template, JsonNode pathItem, JsonNode operation) {
    String path = template;
    List<String> query = new ArrayList<>();
    List<JsonNode> parameters = new ArrayList<>();
    pathItem.path("parameters").forEach(parameters::add);
    operation.path("parameters").forEach(parameters::add);
    for (JsonNode reference : parameters) {
      JsonNode parameter = resolve(document, reference);
      String in = parameter.path("in").asText();
      if (in.equals("path") || (in.equals("query") && parameter.path("required").asBoolean())) {
        assertThat(parameter.has("example")).as(template + " parameter " + parameter.path("name") + " has an example")
            .isTrue();
        String value = URLEncoder.encode(parameter.get("example").asText(), StandardCharsets.UTF_8);
        if (in.equals("path")) {
          path = path.replace("{" + parameter.path("name").asText() + "}", value);
        } else {
          query.add(parameter.path("name").asText() + "=" + value);
        }
      }
    }
    assertThat(path).as(template + ": every path parameter is declared").doesNotContain("{");
    return query.isEmpty() ? path : path + "?" + String.join("&", query);
  }

  private static boolean unknownRoute(HttpResponse<String> response) {
    return response.statusCode() == 404 && response.body().contains(UNKNOWN_ROUTE);
  }

  private static boolean documented(JsonNode operation, int status) {
    JsonNode responses = operation.path("responses");
    return responses.has(Integer.toString(status)) || responses.has("default");
  }

  // ---- representative calls ----

  /**
   * {@code method path} (with {@code headers} and {@code body}) answers {@code status}, which the
   * operation at {@code template} lists, and a JSON answer holds its schema's required fields.
   */
  private static HttpResponse<String> expect(JsonNode document, int port, String method, String template, String path,
                                             Map<String, String> headers, String body, int status) throws Exception {
    HttpResponse<String> response = send(method.toUpperCase(), port, path, headers, body);
    String call = method.toUpperCase() + " " + path;
    assertThat(response.statusCode()).as(call + ": " + response.body()).isEqualTo(status);
    JsonNode operation = document.path("paths").path(template).path(method);
    assertThat(operation.isObject()).as(template + " " + method + " is documented").isTrue();
    JsonNode documentedResponse = resolve(document, operation.path("responses").path(Integer.toString(status)));
    assertThat(documentedResponse.isObject()).as(call + ": " + status + " is documented").isTrue();
    JsonNode schema = resolve(document, documentedResponse.path("content").path("application/json").path("schema"));
    if (schema.isObject() && response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
      JsonNode answer = JSON.readTree(response.body());
      for (JsonNode required : schema.path("required")) {
        assertThat(answer.has(required.asText())).as(call + " answers " + required + ": " + answer).isTrue();
      }
    }
    return response;
  }

  /** A {@code $ref} within the document, followed (once is enough: the document nests no refs to refs). */
  private static JsonNode resolve(JsonNode document, JsonNode node) {
    return node.has("$ref") ? document.at(node.get("$ref").asText().substring(1)) : node;
  }

  private static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  private static JsonNode document(String path) throws Exception {
    HttpResponse<String> response = send("GET", node.httpPort(), path, Map.of(), null);
    assertThat(response.statusCode()).isEqualTo(200);
    return YAML.readTree(response.body());
  }

  private static HttpResponse<String> send(String method, int port, String path, Map<String, String> headers,
                                           String body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(15))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
