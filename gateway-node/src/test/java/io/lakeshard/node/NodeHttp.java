package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.hlc.HybridClock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import java.util.function.Predicate;

/**
 * A node's HTTP API on 127.0.0.1 as the tests call it: requests with an optional bearer token, a
 * pull that follows every page, and the JSON bodies of a push.
 */
final class NodeHttp {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client;
  private final IntSupplier port;
  private final Duration timeout;

  /**
   * Requests to the port {@code port} gives at the time of each request (a test may restart its
   * node on another ephemeral port), each answered within {@code timeout}.
   */
  NodeHttp(IntSupplier port, Duration timeout) {
    this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), port, timeout);
  }

  private NodeHttp(HttpClient client, IntSupplier port, Duration timeout) {
    this.client = client;
    this.port = port;
    this.timeout = timeout;
  }

  /** The same node over the same connections, with another request timeout. */
  NodeHttp withTimeout(Duration timeout) {
    return new NodeHttp(client, port, timeout);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port.getAsInt() + path);
  }

  /** A POST of a JSON body, with {@code Authorization: Bearer token} unless {@code token} is null. */
  HttpResponse<String> post(String path, String token, String body) throws IOException, InterruptedException {
    return send(request(path, token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /**
   * Pushes row {@code r<n>} of table todos (column n = n) to {@code gateway} as alice, one push at
   * a time (one journal event each); asserts it is accepted and returns the answer's body.
   */
  String pushNumberedRow(String gateway, int n) throws IOException, InterruptedException {
    HttpResponse<String> response = post("/v1/sync/" + gateway + "/push", TestNode.token("alice", gateway),
        push("alice", List.of(delta("INSERT", "todos", "alice", "r" + n, hlcNow(n),
            "[{\"column\":\"n\",\"value\":" + n + "}]"))));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  /** A GET, with {@code Authorization: Bearer token} unless {@code token} is null. */
  HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    return send(request(path, token).GET());
  }

  /**
   * Any request, as the stream routes take them: {@code contentType} and {@code body} unless null,
   * then {@code headers} as name, value pairs.
   */
  HttpRequest request(String method, String path, String contentType, String body, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(timeout)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return request.build();
  }

  HttpResponse<String> send(String method, String path, String contentType, String body, String... headers)
      throws IOException, InterruptedException {
    return send(request(method, path, contentType, body, headers), HttpResponse.BodyHandlers.ofString());
  }

  <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) throws IOException, InterruptedException {
    return client.send(request, body);
  }

  <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> body) {
    return client.sendAsync(request, body);
  }

  /** An SSE read ({@code GET path}), which must answer 200 with an event stream, to read line by line. */
  SseLines sse(String path, String... headers) throws IOException, InterruptedException {
    HttpResponse<InputStream> response = send(request("GET", path, null, null, headers),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
    return new SseLines(response, new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8)));
  }

  /** An open SSE response, read line by line; close it to end the connection. */
  record SseLines(HttpResponse<InputStream> response, BufferedReader reader) implements AutoCloseable {
    /** The lines up to and including the first that {@code last} accepts; fails if the stream ends first. */
    List<String> readUntil(Predicate<String> last) throws IOException {
      List<String> lines = new ArrayList<>();
      String line;
      while ((line = reader.readLine()) != null) {
        lines.add(line);
        if (last.test(line)) {
          return lines;
        }
      }
      throw new AssertionError("the event stream ended after " + lines);
    }

    @Override
    public void close() throws IOException {
      response.body().close();
    }
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(timeout);
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return request;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Every delta of {@code gateway} from {@code since=0}, following {@code serverHlc} page by page
   * while {@code hasMore}; each page must answer 200, hold at most {@code limit} deltas, and not
   * be empty when more follow.
   */
  List<JsonNode> pullAll(String gateway, int limit) throws IOException, InterruptedException {
    return pullAll(gateway, limit, "0");
  }

  /** As {@link #pullAll(String, int)}, from the cursor {@code since} (a decimal HLC). */
  List<JsonNode> pullAll(String gateway, int limit, String since) throws IOException, InterruptedException {
    return pullAll(gateway, limit, since, TestNode.token("reader", gateway));
  }

  /** As {@link #pullAll(String, int, String)}, as the holder of {@code token} (whose claims sync rules read). */
  List<JsonNode> pullAll(String gateway, int limit, String since, String token) throws IOException, InterruptedException {
    List<JsonNode> deltas = new ArrayList<>();
    String cursor = since;
    for (int page = 0; page < 1000; page++) {
      HttpResponse<String> response = get("/v1/sync/" + gateway + "/pull?since=" + cursor + "&limit=" + limit, token);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode body = JSON.readTree(response.body());
      assertThat(body.get("deltas").size()).as("page size").isLessThanOrEqualTo(limit);
      body.get("deltas").forEach(deltas::add);
      cursor = body.get("serverHlc").asText();
      if (!body.get("hasMore").asBoolean()) {
        return deltas;
      }
      assertThat(body.get("deltas")).as("a page with hasMore is not empty").isNotEmpty();
    }
    throw new AssertionError("pull did not end within 1000 pages");
  }

  static List<String> rowIds(List<JsonNode> deltas) {
    return deltas.stream().map(d -> d.get("rowId").asText()).toList();
  }

  /**
   * A sync or admin error answer, in LakeSync's body: its status, {@code code}, a text in
   * {@code error}, and {@code requestId} the answer's {@code X-Request-Id}.
   */
  static void assertError(HttpResponse<String> response, int status, String code) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("code").asText()).as(response.body()).isEqualTo(code);
    assertThat(body.get("error").asText()).as(response.body()).isNotBlank().isNotEqualTo(code);
    assertThat(body.get("requestId").asText()).as(response.body())
        .isEqualTo(response.headers().firstValue("X-Request-Id").orElseThrow());
  }

  /** A Durable Streams error answer, in the stream routes' own body: its status and the code in {@code error}. */
  static void assertStreamError(HttpResponse<String> response, int status, String code) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(JSON.readTree(response.body()).get("error").asText()).isEqualTo(code);
  }

  static long hlcNow(int counter) {
    return HybridClock.encode(System.currentTimeMillis(), counter);
  }

  /** One delta of a push body; the node assigns the {@code deltaId}. */
  static String delta(String op, String table, String client, String row, long hlc, String columnsJson) {
    return "{\"op\":\"" + op + "\",\"table\":\"" + table + "\",\"rowId\":\"" + row + "\",\"clientId\":\"" + client
        + "\",\"columns\":" + columnsJson + ",\"hlc\":\"" + Long.toUnsignedString(hlc) + "\",\"deltaId\":\"\"}";
  }

  static String push(String client, List<String> deltas) {
    return "{\"clientId\":\"" + client + "\",\"deltas\":[" + String.join(",", deltas) + "],\"lastSeenHlc\":\"0\"}";
  }
}
