package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cold stream segments over real HTTP: reads across the hot/cold boundary and through a fork, after a node restart. */
class StreamSegmentHttpTest {
  private static final String OFFSET = "Stream-Next-Offset";
  /** Segments of 13 messages of 20 bytes; read pages of 15, spanning segments and the hot tail. */
  private static final Map<String, Object> SMALL_SEGMENTS = Map.of(
      "lakeshard.stream.segment-bytes", "256B", "lakeshard.stream.read-max-bytes", "300B");

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stopNode() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(15))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "text/plain");
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Everything after {@code offset}, page by page, until Stream-Up-To-Date; returns the body and the final offset. */
  private String[] readAll(String id, String offset) throws Exception {
    StringBuilder all = new StringBuilder();
    String from = offset;
    for (int pages = 0; pages < 200; pages++) {
      HttpResponse<String> page = send("GET", "/v1/stream/" + id + "?offset=" + from, null);
      assertThat(page.statusCode()).as("read %s from %s", id, from).isEqualTo(200);
      all.append(page.body());
      String next = page.headers().firstValue(OFFSET).orElseThrow();
      if (page.headers().firstValue("Stream-Up-To-Date").isPresent()) {
        return new String[] {all.toString(), next};
      }
      assertThat(next).isGreaterThan(from);
      from = next;
    }
    throw new AssertionError("never up to date");
  }

  private static String message(int i) {
    return String.format("%-19s;", "m" + i);
  }

  private static String messages(int from, int to) {
    StringBuilder out = new StringBuilder();
    for (int i = from; i < to; i++) {
      out.append(message(i));
    }
    return out.toString();
  }

  private long segmentObjects(String id) throws Exception {
    Path dir = dataDir.resolve("lake/streams").resolve(Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes()));
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(file -> file.getFileName().toString().endsWith(".seg")).count();
    }
  }

  private void awaitSegmentObjects(String id, long count) {
    TestProbe.create(node.system()).awaitAssert(Duration.ofSeconds(20), () -> {
      assertThat(segmentObjects(id)).as("segment objects of %s", id).isGreaterThanOrEqualTo(count);
      return null;
    });
  }

  @Test
  void readsCrossTheHotColdBoundaryAtEveryOffsetAfterARestartAndThroughAFork() throws Exception {
    node = TestNode.start(dataDir, SMALL_SEGMENTS);
    assertThat(send("PUT", "/v1/stream/cold", "").statusCode()).isEqualTo(201);
    List<String> offsets = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      HttpResponse<String> appended = send("POST", "/v1/stream/cold", message(i));
      assertThat(appended.statusCode()).isEqualTo(204);
      offsets.add(appended.headers().firstValue(OFFSET).orElseThrow());
    }
    // 30 messages of 20 bytes: two segments of 13 go to the lake, 4 stay hot.
    awaitSegmentObjects("cold", 2);
    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir, SMALL_SEGMENTS);

    assertThat(readAll("cold", "-1")[0]).isEqualTo(messages(0, 30));
    for (int i = 0; i < offsets.size(); i++) {
      String[] rest = readAll("cold", offsets.get(i));
      assertThat(rest[0]).as("after message %d", i).isEqualTo(messages(i + 1, 30));
      assertThat(rest[1]).isEqualTo(offsets.get(29));
    }

    // A fork inside the first (cold) segment reads its source's segment object.
    HttpResponse<String> forked = send("PUT", "/v1/stream/cold-fork", null,
        "Stream-Forked-From", "/v1/stream/cold", "Stream-Fork-Offset", offsets.get(5));
    assertThat(forked.statusCode()).isEqualTo(201);
    assertThat(forked.headers().firstValue(OFFSET)).hasValue(offsets.get(5));
    assertThat(send("POST", "/v1/stream/cold-fork", "own;").statusCode()).isEqualTo(204);
    assertThat(readAll("cold-fork", "-1")[0]).isEqualTo(messages(0, 6) + "own;");
    assertThat(readAll("cold-fork", offsets.get(2))[0]).isEqualTo(messages(3, 6) + "own;");
  }
}
