package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
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
import org.junit.jupiter.api.Test;

/** Durable Streams over real HTTP on a real node: the protocol's basics, live reads, and durability across a restart. */
class StreamHttpTest extends NodeTestBase {
  private static final String OFFSET = "Stream-Next-Offset";
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + node.httpPort() + pathAndQuery);
  }

  private HttpResponse<String> send(String method, String path, String contentType, String body, String... headers)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(15))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void createAppendReadHeadAndDeleteFollowTheProtocol() throws Exception {
    HttpResponse<String> created = send("PUT", "/v1/stream/basics", "text/plain", "hello");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/v1/stream/basics"));
    assertThat(send("PUT", "/v1/stream/basics", "text/plain", null).statusCode()).isEqualTo(200);
    assertThat(send("PUT", "/v1/stream/basics", "application/json", null).statusCode()).isEqualTo(409);

    HttpResponse<String> appended = send("POST", "/v1/stream/basics", "text/plain", " world");
    assertThat(appended.statusCode()).isEqualTo(204);
    assertThat(appended.headers().firstValue(OFFSET).orElseThrow())
        .isGreaterThan(created.headers().firstValue(OFFSET).orElseThrow());
    assertThat(send("POST", "/v1/stream/basics", "application/json", "{}").statusCode()).isEqualTo(409);
    assertThat(send("POST", "/v1/stream/basics", "text/plain", "").statusCode()).isEqualTo(400);

    HttpResponse<String> read = send("GET", "/v1/stream/basics?offset=-1", null, null);
    assertThat(read.body()).isEqualTo("hello world");
    assertThat(read.headers().firstValue("Stream-Up-To-Date")).hasValue("true");
    assertThat(read.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    String etag = read.headers().firstValue("ETag").orElseThrow();
    assertThat(send("GET", "/v1/stream/basics?offset=-1", null, null, "If-None-Match", etag).statusCode()).isEqualTo(304);
    assertThat(send("GET", "/v1/stream/basics?offset=-1&offset=-1", null, null).statusCode()).isEqualTo(400);
    assertThat(send("GET", "/v1/stream/basics?offset=a,b", null, null).statusCode()).isEqualTo(400);

    HttpResponse<String> head = send("HEAD", "/v1/stream/basics", null, null);
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue(OFFSET)).isEqualTo(appended.headers().firstValue(OFFSET));
    assertThat(head.headers().firstValue("Cache-Control")).hasValue("no-store");

    assertThat(send("DELETE", "/v1/stream/basics", null, null).statusCode()).isEqualTo(204);
    assertThat(send("GET", "/v1/stream/basics", null, null).statusCode()).isEqualTo(404);
    // The sync routes still answer next to the stream routes.
    assertThat(send("GET", "/health", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void aPostWithoutContentTypeIsRefusedWith400() throws Exception {
    send("PUT", "/v1/stream/no-type", "text/plain", null);
    HttpRequest noType = HttpRequest.newBuilder(uri("/v1/stream/no-type"))
        .POST(HttpRequest.BodyPublishers.ofString("data")).build();
    assertThat(client.send(noType, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
  }

  @Test
  void jsonStreamsFlattenArraysOnAppendAndReturnArrays() throws Exception {
    send("PUT", "/v1/stream/json", "application/json", null);
    send("POST", "/v1/stream/json", "application/json", "[{\"a\":1},{\"a\":2}]");
    send("POST", "/v1/stream/json", "application/json", "3");
    assertThat(send("POST", "/v1/stream/json", "application/json", "{nope").statusCode()).isEqualTo(400);
    assertThat(send("GET", "/v1/stream/json?offset=-1", null, null).body()).isEqualTo("[{\"a\":1},{\"a\":2},3]");
  }

  @Test
  void aLongPollAtTheTailIsAnsweredByTheNextAppend() throws Exception {
    String tail = send("PUT", "/v1/stream/live", "text/plain", "x").headers().firstValue(OFFSET).orElseThrow();
    CompletableFuture<HttpResponse<String>> waiting = client.sendAsync(
        HttpRequest.newBuilder(uri("/v1/stream/live?offset=" + tail + "&live=long-poll")).build(),
        HttpResponse.BodyHandlers.ofString());
    Thread.sleep(300);
    assertThat(waiting).isNotDone();
    send("POST", "/v1/stream/live", "text/plain", "y");
    HttpResponse<String> woken = waiting.get();
    assertThat(woken.statusCode()).isEqualTo(200);
    assertThat(woken.body()).isEqualTo("y");
    assertThat(woken.headers().firstValue("Stream-Cursor")).isPresent();
  }

  @Test
  void sseStreamsDataAndControlEventsChunked() throws Exception {
    send("PUT", "/v1/stream/sse", "text/plain", "first\nline");
    HttpResponse<InputStream> events = client.send(
        HttpRequest.newBuilder(uri("/v1/stream/sse?offset=-1&live=sse")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(events.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
    assertThat(events.headers().firstValue("Content-Length")).isEmpty();
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines.add(line);
        if (line.contains("upToDate")) {
          break;
        }
      }
    }
    assertThat(lines).startsWith("event: data", "data:first", "data:line", "", "event: control");
    assertThat(lines.get(lines.size() - 1)).contains("\"streamNextOffset\"").contains("\"upToDate\":true");
  }

  @Test
  void everyAcknowledgedAppendIsReadableAtItsOffsetAfterARestart() throws Exception {
    send("PUT", "/v1/stream/durable", "application/octet-stream", null);
    List<String> offsets = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> appended = send("POST", "/v1/stream/durable", "application/octet-stream", "m" + i + ";");
      assertThat(appended.statusCode()).isEqualTo(204);
      offsets.add(appended.headers().firstValue(OFFSET).orElseThrow());
      all.append("m").append(i).append(';');
    }
    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir);

    assertThat(send("GET", "/v1/stream/durable?offset=-1", null, null).body()).isEqualTo(all.toString());
    for (int i = 0; i < offsets.size(); i++) {
      HttpResponse<String> after = send("GET", "/v1/stream/durable?offset=" + offsets.get(i), null, null);
      StringBuilder rest = new StringBuilder();
      for (int j = i + 1; j < offsets.size(); j++) {
        rest.append("m").append(j).append(';');
      }
      assertThat(after.body()).as("after offset %d", i).isEqualTo(rest.toString());
      assertThat(after.headers().firstValue(OFFSET)).hasValue(offsets.get(offsets.size() - 1));
    }
  }
}
