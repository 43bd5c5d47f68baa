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
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints of a table-sharded gateway on a real node: {@code orders} and {@code products} each
 * in a shard of their own, {@code notes} in the gateway's own entity. Read as LakeSync's client
 * reads them ({@link CheckpointClient}), whose INSERTs fail on a row it holds: a pull from the
 * checkpoint's HLC must neither miss nor repeat a row of any shard.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ShardedCheckpointTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GW = "shop";
  private static final List<String> TABLES = List.of("orders", "products", "notes");
  private static final Map<String, Object> SHARDED = Map.of(
      "lakeshard.gateway.shards", "{\"shop\": {\"orders\": [\"orders\"], \"catalogue\": [\"products\"]}}",
      "lakeshard.gateway.flush.max-buffer-age", "1h",
      "lakeshard.gateway.checkpoint.chunk-bytes", "1KiB",
      // The first flushes in a JVM (three shards at once here) are slow on a loaded machine.
      "lakeshard.http.ask-timeout", "60s");

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(60));
  private final String admin = TestNode.adminToken("ops", GW);
  private int counter;

  private void startNode(Map<String, ?> overrides) {
    node = TestNode.start(dataDir, overrides);
  }

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private void pushOk(String client, String... deltas) throws Exception {
    HttpResponse<String> response = http.post("/v1/sync/" + GW + "/push", TestNode.token(client, GW),
        push(client, List.of(deltas)));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  private String change(String op, String table, String row, String columnsJson) {
    return delta(op, table, "carol", row, hlcNow(counter++), columnsJson);
  }

  private void flush() throws Exception {
    HttpResponse<String> flushed = http.post("/v1/admin/flush/" + GW, admin, "");
    assertThat(flushed.statusCode()).as(flushed.body()).isEqualTo(200);
  }

  /**
   * {@code POST /v1/admin/checkpoint/shop} until its checkpoint holds {@code rows} rows: the shards'
   * common stamp is the lowest of their clocks, and a shard that just started stamps up to
   * clock-skew-allowance (1 s) ahead of the others for a while, so its newest rows may come after it.
   */
  private JsonNode checkpoint(int rows) throws Exception {
    JsonNode[] answer = new JsonNode[1];
    Await.until("a checkpoint of " + rows + " rows", Duration.ofSeconds(30), () -> {
      try {
        HttpResponse<String> written = http.post("/v1/admin/checkpoint/" + GW, admin, "");
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        answer[0] = JSON.readTree(written.body());
        return answer[0].get("rows").asInt() == rows;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    return answer[0];
  }

  /**
   * What a client holding {@code loaded} has after pulling from {@code since}, once it equals what a
   * client pulling from 0 has and that is {@code rows} rows (a merged pull may hold a shard's newest
   * deltas back until the other shards' clocks pass them).
   */
  private Map<String, Map<String, String>> pulledOnto(Map<String, Map<String, String>> loaded, String since,
                                                      String token, int rows) throws Exception {
    Map<String, Map<String, String>> full = new LinkedHashMap<>();
    Await.until("a pull from " + since + " completing the checkpoint", Duration.ofSeconds(30), () -> {
      try {
        Map<String, Map<String, String>> client = CheckpointClient.apply(copy(loaded),
            http.pullAll(GW, 7, since, token));
        full.clear();
        full.putAll(CheckpointClient.apply(new LinkedHashMap<>(), http.pullAll(GW, 7, "0", token)));
        return full.size() == rows && client.equals(full);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    return full;
  }

  private static Map<String, Map<String, String>> copy(Map<String, Map<String, String>> rows) {
    Map<String, Map<String, String>> copy = new LinkedHashMap<>();
    rows.forEach((key, row) -> copy.put(key, new LinkedHashMap<>(row)));
    return copy;
  }

  private static Map<String, Long> rowsByTable(Map<String, Map<String, String>> rows) {
    return rows.keySet().stream().collect(Collectors.groupingBy(key -> key.substring(0, key.indexOf(':')),
        Collectors.counting()));
  }

  @Test
  void theDownloadHoldsEveryShardsRowsAndAPullFromItsHlcGivesExactlyTheRest() throws Exception {
    startNode(SHARDED);
    assertThat(CheckpointClient.get(http, GW, TestNode.token("reader", GW)).statusCode()).as("none yet").isEqualTo(404);
    for (int i = 0; i < 30; i++) {
      pushOk("carol", change("INSERT", TABLES.get(i % 3), "r" + i,
          "[{\"column\":\"title\",\"value\":\"t" + i + "\"},{\"column\":\"n\",\"value\":" + i + "}]"));
    }
    flush();
    pushOk("carol", change("UPDATE", "orders", "r0", "[{\"column\":\"n\",\"value\":100}]"),
        change("DELETE", "products", "r1", "[]"));
    pushOk("carol", change("INSERT", "notes", "r30", "[{\"column\":\"title\",\"value\":\"buffered\"}]"));

    JsonNode written = checkpoint(30);
    // After the checkpoint, in every shard: an update, a delete, new rows.
    pushOk("carol", change("UPDATE", "products", "r4", "[{\"column\":\"n\",\"value\":44}]"),
        change("DELETE", "orders", "r3", "[]"), change("INSERT", "orders", "r40", "[{\"column\":\"n\",\"value\":40}]"),
        change("INSERT", "products", "r41", "[{\"column\":\"n\",\"value\":41}]"),
        change("UPDATE", "notes", "r2", "[{\"column\":\"n\",\"value\":22}]"));

    Download checkpoint = CheckpointClient.download(http, GW, TestNode.token("reader", GW));
    assertThat(checkpoint.hlc()).isEqualTo(written.get("snapshotHlc").asText());
    assertThat(checkpoint.frames()).hasSize(written.get("chunks").asInt()).hasSizeGreaterThanOrEqualTo(3);
    Map<String, Map<String, String>> loaded = CheckpointClient.load(checkpoint.deltas());
    assertThat(rowsByTable(loaded)).as("every shard's rows").isEqualTo(Map.of("orders", 10L, "products", 9L, "notes", 11L));
    assertThat(loaded).doesNotContainKey("products:r1").doesNotContainKey("orders:r40")
        .containsEntry("orders:r0", Map.of("title", "\"t0\"", "n", "100"))
        .containsEntry("products:r4", Map.of("title", "\"t4\"", "n", "4"));

    Map<String, Map<String, String>> full = pulledOnto(loaded, checkpoint.hlc(), TestNode.token("reader", GW), 31);
    assertThat(full).containsEntry("products:r4", Map.of("title", "\"t4\"", "n", "44"))
        .containsEntry("notes:r2", Map.of("title", "\"t2\"", "n", "22"))
        .containsKeys("orders:r40", "products:r41").doesNotContainKey("orders:r3");
  }

  @Test
  void withSyncRulesEachShardsRowsAreFilteredForTheClient() throws Exception {
    startNode(SHARDED);
    String rules = "{\"version\":1,\"buckets\":[{\"name\":\"org\",\"tables\":[\"orders\",\"products\"],"
        + "\"filters\":[{\"column\":\"org\",\"op\":\"in\",\"value\":\"jwt:org\"}]}]}";
    HttpResponse<String> saved = http.post("/v1/admin/sync-rules/" + GW, admin, rules);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
    for (int i = 0; i < 16; i++) {
      String org = i % 4 == 0 ? "acme" : "beta";
      pushOk("carol", change("INSERT", i % 2 == 0 ? "orders" : "products", "r" + i,
          "[{\"column\":\"org\",\"value\":\"" + org + "\"},{\"column\":\"n\",\"value\":" + i + "}]"));
    }
    flush();
    checkpoint(16);
    pushOk("carol", change("INSERT", "products", "r17", "[{\"column\":\"org\",\"value\":\"acme\"}]"),
        change("UPDATE", "orders", "r4", "[{\"column\":\"org\",\"value\":\"acme\"},{\"column\":\"n\",\"value\":400}]"));

    String acme = TestNode.token("alice", GW, Map.of("org", "acme"));
    Download acmeCheckpoint = CheckpointClient.download(http, GW, acme);
    Map<String, Map<String, String>> alice = CheckpointClient.load(acmeCheckpoint.deltas());
    assertThat(alice.keySet()).containsExactlyInAnyOrder("orders:r0", "orders:r4", "orders:r8", "orders:r12");
    Map<String, Map<String, String>> aliceFull = pulledOnto(alice, acmeCheckpoint.hlc(), acme, 5);
    assertThat(aliceFull).containsKey("products:r17").containsEntry("orders:r4", Map.of("org", "\"acme\"", "n", "400"));

    String beta = TestNode.token("bob", GW, Map.of("org", "beta"));
    Map<String, Map<String, String>> bob = CheckpointClient.load(CheckpointClient.download(http, GW, beta).deltas());
    assertThat(rowsByTable(bob)).as("beta's rows of both shards").isEqualTo(Map.of("orders", 4L, "products", 8L));
  }

  /**
   * A gateway checkpointed before it was sharded: its own entity has a checkpoint, its new shards
   * none, so nothing is served (LakeSync's client then pulls from 0) until the admin route writes
   * every shard's at one stamp.
   */
  @Test
  void aGatewayShardedAfterItsCheckpointServesNoneUntilEveryShardHasOneAtTheSameStamp() throws Exception {
    Map<String, Object> unsharded = new HashMap<>(SHARDED);
    unsharded.remove("lakeshard.gateway.shards");
    startNode(unsharded);
    for (int i = 0; i < 5; i++) {
      pushOk("carol", change("INSERT", "notes", "n" + i, "[{\"column\":\"n\",\"value\":" + i + "}]"));
    }
    flush();
    assertThat(checkpoint(5).get("chunks").asInt()).isPositive();
    node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);

    startNode(SHARDED);
    pushOk("carol", change("INSERT", "orders", "o1", "[{\"column\":\"n\",\"value\":1}]"));
    HttpResponse<byte[]> refused = CheckpointClient.get(http, GW, TestNode.token("reader", GW));
    assertThat(refused.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(refused.body()).get("error").asText()).contains("has none");

    JsonNode written = checkpoint(6);
    Download checkpoint = CheckpointClient.download(http, GW, TestNode.token("reader", GW));
    assertThat(checkpoint.hlc()).isEqualTo(written.get("snapshotHlc").asText());
    Map<String, Map<String, String>> loaded = CheckpointClient.load(checkpoint.deltas());
    assertThat(rowsByTable(loaded)).isEqualTo(Map.of("notes", 5L, "orders", 1L));
    pulledOnto(loaded, checkpoint.hlc(), TestNode.token("reader", GW), 6);
  }
}
