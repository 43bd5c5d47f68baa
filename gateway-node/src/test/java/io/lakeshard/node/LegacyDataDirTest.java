package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Today's node recovers a data directory that an earlier version wrote (test resources
 * {@code legacy-data/}, described in its README): journal events, snapshots and stream segments
 * users already have on disk.
 */
class LegacyDataDirTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "legacy-gw";
  /** The fixture gateway's flush point: deltas after it are in the journal, after its snapshot. */
  private static final String FLUSHED_UP_TO = "117712805203279872";
  private static final String TEXT_MESSAGES = java.util.stream.IntStream.range(0, 10)
      .mapToObj(i -> "message number " + i + " of the legacy text stream;")
      .reduce("", String::concat);

  private static LakeshardNode node;
  private static NodeHttp http;
  private static String token;

  @BeforeAll
  static void startOnACopy() throws IOException, URISyntaxException {
    Path fixture = Path.of(LegacyDataDirTest.class.getResource("/legacy-data").toURI());
    Path dataDir = Path.of("target", "legacy-data-" + UUID.randomUUID()).toAbsolutePath();
    copy(fixture, dataDir);
    node = TestNode.start(dataDir);
    http = new NodeHttp(node::httpPort, Duration.ofSeconds(20));
    token = TestNode.adminToken("c1", GATEWAY);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
  }

  @Test
  void gatewayRecoversItsSnapshotAndTheEventsAfterIt() throws Exception {
    JsonNode metrics = JSON.readTree(http.get("/v1/admin/metrics/" + GATEWAY, token).body());
    assertThat(metrics.get("lastFlushSeq").asLong()).isEqualTo(1);
    assertThat(metrics.get("flushedUpTo").asText()).isEqualTo(FLUSHED_UP_TO);
    assertThat(metrics.get("logSize").asInt()).isEqualTo(2);

    JsonNode page = JSON.readTree(http.get("/v1/sync/" + GATEWAY + "/pull?since=" + FLUSHED_UP_TO, token).body());
    assertThat(page.get("deltas").findValuesAsText("rowId")).containsExactly("r4", "r1");
    assertThat(page.get("deltas").get(1).get("columns").get(0).get("value").asText()).isEqualTo("after flush r1 again");
  }

  @Test
  void recoveredDedupeWindowAndRowIndexStillDecidePushes() throws Exception {
    // r2 exactly as first pushed (flushed: known only through the snapshot's dedupe window).
    String duplicate = push("r2", "before flush 2", "117712805196267522");
    assertThat(JSON.readTree(duplicate).get("deltas")).isEmpty();
    // An older write of r4 loses to the recovered row version.
    String older = push("r4", "older than the journal", "117712805283299331");
    assertThat(JSON.readTree(older).get("deltas")).isEmpty();
    String newer = push("r5", "new after the upgrade", Long.toString(System.currentTimeMillis() << 16));
    assertThat(JSON.readTree(newer).get("deltas").findValuesAsText("rowId")).containsExactly("r5");
  }

  @Test
  void streamsReadAcrossTheirOldSegmentsAndKeepTheirProducer() throws Exception {
    assertThat(http.send("GET", "/v1/stream/legacy-text?offset=-1", null, null).body()).isEqualTo(TEXT_MESSAGES);
    assertThat(http.send("GET", "/v1/stream/legacy-json?offset=-1", null, null).body()).isEqualTo("[{\"n\":1},{\"n\":2}]");
    assertThat(http.send("GET", "/v1/stream/legacy-fork?offset=-1", null, null).body())
        .isEqualTo(TEXT_MESSAGES + "fork own message;");

    // The producer's last sequence number survived: seq 9 again is a duplicate, 10 is new.
    var again = http.send("POST", "/v1/stream/legacy-text", "text/plain", "message number 9 of the legacy text stream;",
        "Producer-Id", "p1", "Producer-Epoch", "0", "Producer-Seq", "9");
    assertThat(again.statusCode()).isEqualTo(204);
    var next = http.send("POST", "/v1/stream/legacy-text", "text/plain", "after the upgrade;",
        "Producer-Id", "p1", "Producer-Epoch", "0", "Producer-Seq", "10");
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(http.send("GET", "/v1/stream/legacy-text?offset=-1", null, null).body())
        .isEqualTo(TEXT_MESSAGES + "after the upgrade;");
  }

  private static String push(String rowId, String title, String hlc) throws Exception {
    String body = "{\"clientId\":\"c1\",\"lastSeenHlc\":\"0\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"todos\","
        + "\"rowId\":\"" + rowId + "\",\"clientId\":\"c1\",\"hlc\":\"" + hlc + "\",\"columns\":["
        + "{\"column\":\"title\",\"value\":\"" + title + "\"},{\"column\":\"done\",\"value\":false}]}]}";
    var response = http.post("/v1/sync/" + GATEWAY + "/push", token, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}
