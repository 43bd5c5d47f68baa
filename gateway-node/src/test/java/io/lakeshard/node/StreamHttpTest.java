package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Durable Streams over real HTTP on a real node: the protocol's basics, live reads, the registry,
 * expiry, producer retries, and durability across a restart.
 */
class StreamHttpTest extends NodeTestBase {
  private static final String OFFSET = "Stream-Next-Offset";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));

  private HttpResponse<String> send(String method, String path, String contentType, String body, String... headers)
      throws Exception {
    return http.send(method, path, contentType, body, headers);
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
  void aMissingContentTypeIsToldApartFromAnExplicitOctetStream() throws Exception {
    send("PUT", "/v1/stream/no-type", "text/plain", null);
    assertThat(send("POST", "/v1/stream/no-type", null, "data").statusCode()).as("missing").isEqualTo(400);
    assertThat(send("POST", "/v1/stream/no-type", "application/octet-stream", "data").statusCode())
        .as("another type").isEqualTo(409);

    send("PUT", "/v1/stream/bytes", "application/octet-stream", null);
    assertThat(send("POST", "/v1/stream/bytes", null, "data").statusCode()).as("missing").isEqualTo(400);
    assertThat(send("POST", "/v1/stream/bytes", "Application/Octet-Stream; x=1", "data").statusCode()).isEqualTo(204);
    assertThat(send("PUT", "/v1/stream/untyped", null, "first").headers().firstValue("Content-Type"))
        .as("created without a type").hasValue("application/octet-stream");

    // A fork without Content-Type takes its source's; an explicit octet-stream is another type.
    assertThat(send("PUT", "/v1/stream/no-type-fork", null, null, "Stream-Forked-From", "/v1/stream/no-type")
        .headers().firstValue("Content-Type")).hasValue("text/plain");
    assertThat(send("PUT", "/v1/stream/octet-fork", "application/octet-stream", null,
        "Stream-Forked-From", "/v1/stream/no-type").statusCode()).isEqualTo(409);
  }

  /**
   * 10 MiB against the 2 MiB limit, as the conformance suite sends it: the client reads a 413, not
   * a connection reset while it still writes (the body is read and dropped before the answer).
   */
  @Test
  void anAppendFarOverTheLimitIsAnswered413WhileTheClientStillSends() throws Exception {
    send("PUT", "/v1/stream/large", "application/octet-stream", null);
    // A plain socket that writes the whole body before it reads, as a simple client does: a server
    // that answers and closes early makes these writes fail (broken pipe, connection reset).
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.httpPort())) {
      socket.setSoTimeout(15_000);
      byte[] body = new byte[10 * 1024 * 1024];
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/stream/large HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
      assertThat(statusLine).startsWith("HTTP/1.1 413");
    }
    assertThat(send("POST", "/v1/stream/large", "application/octet-stream", "small").statusCode()).isEqualTo(204);
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
    CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(
        http.request("GET", "/v1/stream/live?offset=" + tail + "&live=long-poll", null, null),
        HttpResponse.BodyHandlers.ofString());
    // Still waiting when the append is sent (live reads wait 30 s here); a read answered at once, not
    // woken, would be done already or come back empty.
    assertThat(waiting).as("a long-poll at the tail waits").isNotDone();
    send("POST", "/v1/stream/live", "text/plain", "y");
    HttpResponse<String> woken = waiting.get();
    assertThat(woken.statusCode()).isEqualTo(200);
    assertThat(woken.body()).isEqualTo("y");
    assertThat(woken.headers().firstValue("Stream-Cursor")).isPresent();
  }

  @Test
  void sseStreamsDataAndControlEventsChunked() throws Exception {
    send("PUT", "/v1/stream/sse", "text/plain", "first\nline");
    List<String> lines;
    try (NodeHttp.SseLines events = http.sse("/v1/stream/sse?offset=-1&live=sse")) {
      assertThat(events.response().headers().firstValue("Content-Length")).isEmpty();
      lines = events.readUntil(line -> line.contains("upToDate"));
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

  @Test
  void theRegistryRecordsCreationsAndDeletionsAsChangeEvents() throws Exception {
    assertThat(send("PUT", "/v1/stream/registered", "text/plain", null).statusCode()).isEqualTo(201);
    assertThat(send("PUT", "/v1/stream/registered", "text/plain", null).statusCode()).as("idempotent").isEqualTo(200);
    assertThat(send("DELETE", "/v1/stream/registered", null, null).statusCode()).isEqualTo(204);

    // The stream journals each change with its create or delete, and brings it to the registry right after.
    List<JsonNode> events = new ArrayList<>();
    TestProbe.create(node.system()).awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
      HttpResponse<String> registry = send("GET", "/v1/stream/__registry__?offset=-1", null, null);
      assertThat(registry.statusCode()).isEqualTo(200);
      assertThat(registry.headers().firstValue("Content-Type")).hasValue("application/json");
      events.clear();
      JSON.readTree(registry.body()).forEach(event -> {
        if (event.get("key").asText().equals("registered")) {
          events.add(event);
        }
      });
      assertThat(events).hasSize(2);
      return null;
    });
    JsonNode created = events.get(0);
    assertThat(created.get("type").asText()).isEqualTo("stream");
    assertThat(created.at("/headers/operation").asText()).isEqualTo("insert");
    assertThat(created.at("/value/path").asText()).isEqualTo("registered");
    assertThat(created.at("/value/contentType").asText()).isEqualTo("text/plain");
    assertThat(created.at("/value/createdAt").asLong()).isPositive();
    assertThat(events.get(1).at("/headers/operation").asText()).isEqualTo("delete");
    assertThat(events.get(1).has("value")).isFalse();
  }

  @Test
  @Timeout(60)
  void streamsAreGoneOnceTheirTtlOrExpiryPasses() throws Exception {
    assertThat(send("PUT", "/v1/stream/ttl", "text/plain", "x", "Stream-TTL", "1").statusCode()).isEqualTo(201);
    String soon = Instant.now().plusSeconds(1).toString();
    assertThat(send("PUT", "/v1/stream/expires", "text/plain", "x", "Stream-Expires-At", soon).statusCode())
        .isEqualTo(201);
    assertThat(send("GET", "/v1/stream/expires?offset=-1", null, null).body()).isEqualTo("x");

    // HEAD does not count as a read, so it does not keep the TTL stream alive while this waits.
    TestProbe<Object> probe = TestProbe.create(node.system());
    probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(200), () -> {
      assertThat(send("HEAD", "/v1/stream/ttl", null, null).statusCode()).isEqualTo(404);
      assertThat(send("GET", "/v1/stream/expires?offset=-1", null, null).statusCode()).isEqualTo(404);
      return null;
    });
    assertThat(send("GET", "/v1/stream/ttl?offset=-1", null, null).statusCode()).isEqualTo(404);
    assertThat(send("POST", "/v1/stream/ttl", "text/plain", "y").statusCode()).isEqualTo(404);
    assertThat(send("PUT", "/v1/stream/ttl", "text/plain", null).statusCode()).as("the id is free again").isEqualTo(201);
  }

  @Test
  void aProducersRetryIsAcknowledgedAsADuplicateAndStoredOnceAlsoAfterARestart() throws Exception {
    send("PUT", "/v1/stream/producer", "text/plain", null);
    String[] first = {"Producer-Id", "p1", "Producer-Epoch", "0", "Producer-Seq", "0"};
    HttpResponse<String> written = send("POST", "/v1/stream/producer", "text/plain", "a", first);
    assertThat(written.statusCode()).isEqualTo(200);
    HttpResponse<String> retried = send("POST", "/v1/stream/producer", "text/plain", "a", first);
    assertThat(retried.statusCode()).isEqualTo(204);
    assertThat(retried.headers().firstValue("Producer-Seq")).hasValue("0");
    assertThat(retried.headers().firstValue(OFFSET)).isEqualTo(written.headers().firstValue(OFFSET));
    assertThat(send("GET", "/v1/stream/producer?offset=-1", null, null).body()).isEqualTo("a");

    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir);

    assertThat(send("POST", "/v1/stream/producer", "text/plain", "a", first).statusCode()).isEqualTo(204);
    assertThat(send("POST", "/v1/stream/producer", "text/plain", "b",
        "Producer-Id", "p1", "Producer-Epoch", "0", "Producer-Seq", "1").statusCode()).isEqualTo(200);
    assertThat(send("GET", "/v1/stream/producer?offset=-1", null, null).body()).isEqualTo("ab");
  }
}
