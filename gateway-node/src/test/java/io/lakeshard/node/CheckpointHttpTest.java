package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.delta;
import static io.lakeshard.node.NodeHttp.hlcNow;
import static io.lakeshard.node.NodeHttp.push;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.node.CheckpointClient.Download;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints on a real node over real HTTP, read as LakeSync's client reads them: the frames of
 * {@code GET /v1/sync/{gw}/checkpoint}, then a pull from {@code X-Checkpoint-Hlc}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CheckpointHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Only the tests flush and checkpoint (unless a test turns the policy on); 1 KiB chunks, so there are several. */
  private static final Map<String, Object> MANUAL = Map.of(
      "lakeshard.gateway.flush.max-buffer-age", "1h",
      "lakeshard.gateway.checkpoint.every-flushes", 0,
      "lakeshard.gateway.checkpoint.after-changes", 0,
      "lakeshard.gateway.checkpoint.chunk-bytes", "1KiB");

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(20));
  private int counter;

  private void startNode(Map<String, ?> overrides) {
    Map<String, Object> settings = new HashMap<>(MANUAL);
    settings.putAll(overrides);
    node = TestNode.start(dataDir, settings);
  }

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private void pushOk(String gateway, String client, String... deltas) throws Exception {
    HttpResponse<String> response = http.post("/v1/sync/" + gateway + "/push", TestNode.token(client, gateway),
        push(client, List.of(deltas)));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  private String change(String op, String table, String client, String row, String columnsJson) {
    return delta(op, table, client, row, hlcNow(counter++), columnsJson);
  }

  private void admin(String what, String gateway) throws Exception {
    HttpResponse<String> response = http.post("/v1/admin/" + what + "/" + gateway, TestNode.adminToken("ops", gateway), "");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  private HttpResponse<byte[]> getCheckpoint(String gateway) throws Exception {
    return CheckpointClient.get(http, gateway, TestNode.token("reader", gateway));
  }

  private Download download(String gateway) throws Exception {
    return download(gateway, TestNode.token("reader", gateway));
  }

  private Download download(String gateway, String token) throws Exception {
    return CheckpointClient.download(http, gateway, token);
  }

  /** Rows in two tables, flushed twice, with updates and deletes of some, and a buffered tail. */
  private void pushHistory(String gateway) throws Exception {
    for (int i = 0; i < 20; i++) {
      pushOk(gateway, i % 2 == 0 ? "alice" : "bob", change("INSERT", i % 3 == 0 ? "notes" : "todos",
          i % 2 == 0 ? "alice" : "bob", "r" + i, "[{\"column\":\"title\",\"value\":\"t" + i + "\"},{\"column\":\"n\",\"value\":" + i + "}]"));
    }
    admin("flush", gateway);
    pushOk(gateway, "alice", change("UPDATE", "todos", "alice", "r2", "[{\"column\":\"n\",\"value\":200}]"),
        change("DELETE", "notes", "alice", "r6", "[]"));
    pushOk(gateway, "bob", change("UPDATE", "todos", "bob", "r1", "[{\"column\":\"title\",\"value\":\"renamed\"}]"));
    admin("flush", gateway);
    pushOk(gateway, "alice", change("DELETE", "todos", "alice", "r4", "[]"),
        change("INSERT", "todos", "alice", "r20", "[{\"column\":\"title\",\"value\":{\"nested\":[1,2]}}]"));
  }

  @Test
  void aClientLoadingTheCheckpointThenPullingFromItsHlcHoldsWhatAFullPullGives() throws Exception {
    startNode(Map.of());
    String gateway = "ck-round";
    assertThat(getCheckpoint(gateway).statusCode()).as("no checkpoint yet").isEqualTo(404);

    pushHistory(gateway);
    HttpResponse<String> written = http.post("/v1/admin/checkpoint/" + gateway, TestNode.adminToken("ops", gateway), "");
    assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
    JsonNode answer = JSON.readTree(written.body());
    assertThat(answer.get("rows").asInt()).isEqualTo(19);
    // After the checkpoint: an update and a delete of checkpointed rows, a new row.
    pushOk(gateway, "bob", change("UPDATE", "notes", "bob", "r3", "[{\"column\":\"n\",\"value\":33}]"),
        change("DELETE", "todos", "bob", "r5", "[]"), change("INSERT", "notes", "bob", "r30", "[{\"column\":\"n\",\"value\":30}]"));

    Download checkpoint = download(gateway);
    assertThat(checkpoint.hlc()).isEqualTo(answer.get("snapshotHlc").asText());
    assertThat(checkpoint.frames()).as("1 KiB chunks").hasSizeGreaterThan(1);
    assertThat(checkpoint.frames()).hasSize(answer.get("chunks").asInt());
    Map<String, Map<String, String>> client = CheckpointClient.load(checkpoint.deltas());
    assertThat(client).hasSize(19).doesNotContainKeys("notes:r6", "todos:r4")
        .containsEntry("todos:r2", Map.of("title", "\"t2\"", "n", "200"))
        .containsEntry("todos:r20", Map.of("title", "{\"nested\":[1,2]}"));
    CheckpointClient.apply(client, http.pullAll(gateway, 7, checkpoint.hlc()));

    Map<String, Map<String, String>> fullPull = CheckpointClient.apply(new LinkedHashMap<>(), http.pullAll(gateway, 7));
    assertThat(fullPull).hasSize(19).containsEntry("notes:r3", Map.of("title", "\"t3\"", "n", "33"));
    assertThat(client).isEqualTo(fullPull);
  }

  /** The policy writes it after a flush; a restarted node serves the same checkpoint from the store. */
  @Test
  void aCheckpointWrittenAfterAFlushIsStillServedAfterARestart() throws Exception {
    startNode(Map.of("lakeshard.gateway.checkpoint.every-flushes", 2));
    String gateway = "ck-restart";
    pushHistory(gateway);
    Await.until("the policy writes a checkpoint after the second flush", Duration.ofSeconds(20), () -> {
      try {
        return getCheckpoint(gateway).statusCode() == 200;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    Download before = download(gateway);
    Map<String, Map<String, String>> rows = CheckpointClient.load(before.deltas());
    assertThat(rows).containsKeys("todos:r2", "todos:r1").doesNotContainKey("notes:r6");

    node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    startNode(Map.of());
    Download after = download(gateway);
    assertThat(after.hlc()).isEqualTo(before.hlc());
    assertThat(CheckpointClient.load(after.deltas())).isEqualTo(rows);
  }

  /** With sync rules, each client's download holds only its rows, and its pull from there the rest of them. */
  @Test
  void withSyncRulesEachClientLoadsOnlyItsRowsThenPullsTheRest() throws Exception {
    startNode(Map.of());
    String gateway = "ck-rules";
    String rules = "{\"version\":1,\"buckets\":[{\"name\":\"org\",\"tables\":[\"todos\"],"
        + "\"filters\":[{\"column\":\"org\",\"op\":\"in\",\"value\":\"jwt:org\"}]}]}";
    HttpResponse<String> saved = http.post("/v1/admin/sync-rules/" + gateway, TestNode.adminToken("ops", gateway), rules);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
    for (int i = 0; i < 12; i++) {
      String org = i % 3 == 0 ? "acme" : "beta";
      pushOk(gateway, "carol", change("INSERT", "todos", "carol", "r" + i,
          "[{\"column\":\"org\",\"value\":\"" + org + "\"},{\"column\":\"n\",\"value\":" + i + "}]"));
    }
    admin("flush", gateway);
    // Rules judge each delta by its own columns (LakeSync's rule), so an update carries the filtered column.
    pushOk(gateway, "carol", change("UPDATE", "todos", "carol", "r3",
        "[{\"column\":\"org\",\"value\":\"acme\"},{\"column\":\"n\",\"value\":300}]"));
    admin("checkpoint", gateway);
    pushOk(gateway, "carol", change("INSERT", "todos", "carol", "r12", "[{\"column\":\"org\",\"value\":\"acme\"}]"),
        change("UPDATE", "todos", "carol", "r0", "[{\"column\":\"org\",\"value\":\"beta\"}]"));

    String acme = TestNode.token("alice", gateway, Map.of("org", "acme"));
    Download acmeCheckpoint = download(gateway, acme);
    Map<String, Map<String, String>> alice = CheckpointClient.load(acmeCheckpoint.deltas());
    assertThat(alice.keySet()).containsExactlyInAnyOrder("todos:r0", "todos:r3", "todos:r6", "todos:r9");
    assertThat(alice).containsEntry("todos:r3", Map.of("org", "\"acme\"", "n", "300"));
    CheckpointClient.apply(alice, http.pullAll(gateway, 5, acmeCheckpoint.hlc(), acme));
    assertThat(alice).isEqualTo(CheckpointClient.apply(new LinkedHashMap<>(), http.pullAll(gateway, 5, "0", acme)));

    String beta = TestNode.token("bob", gateway, Map.of("org", "beta"));
    Map<String, Map<String, String>> bob = CheckpointClient.load(download(gateway, beta).deltas());
    assertThat(bob).hasSize(8).doesNotContainKeys("todos:r0", "todos:r3", "todos:r6", "todos:r9");
    assertThat(CheckpointClient.load(download(gateway, TestNode.token("eve", gateway, Map.of("org", "none"))).deltas()))
        .as("a client none of whose rows are in the checkpoint").isEmpty();
  }
}
