package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.ColumnDelta;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table-sharded gateway on a real node: {@code orders} and {@code products} each in a shard of
 * their own, {@code notes} in the gateway's own entity. The shard map comes as a string, as
 * {@code LAKESHARD_SHARDS} sets it.
 */
class ShardedGatewayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GW = "shop";
  private static final List<String> TABLES = List.of("orders", "products", "notes");

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(30));
  private final String admin = TestNode.adminToken("ops", GW);

  @BeforeEach
  void start() {
    node = TestNode.start(dataDir, Map.of(
        "lakeshard.gateway.shards", "{\"shop\": {\"orders\": [\"orders\"], \"catalogue\": [\"products\"]}}",
        // The first flushes in a JVM (three shards at once here) are slow on a loaded machine.
        "lakeshard.http.ask-timeout", "60s"));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
  }

  /** A delta with a fixed deltaId (so a retried push is the same push), its row id {@code table-n}. */
  private static String delta(String table, String client, int n, String columnsJson) {
    return "{\"op\":\"INSERT\",\"table\":\"" + table + "\",\"rowId\":\"" + table + "-" + n + "\",\"clientId\":\""
        + client + "\",\"columns\":" + columnsJson + ",\"hlc\":\"" + Long.toUnsignedString(NodeHttp.hlcNow(n))
        + "\",\"deltaId\":\"" + client + "-" + table + "-" + n + "\"}";
  }

  private static String titled(String table, String client, int n) {
    return delta(table, client, n, "[{\"column\":\"title\",\"value\":\"t" + n + "\"}]");
  }

  private HttpResponse<String> push(String client, List<String> deltas) throws Exception {
    return http.post("/v1/sync/" + GW + "/push", TestNode.token(client, GW), NodeHttp.push(client, deltas));
  }

  /**
   * Every row from {@code since=0} with {@code limit}, paging on {@code serverHlc}: each page at most
   * {@code limit}, no row twice, each table's rows in the order they were pushed. A delta the merge
   * held back behind a lagging shard's clock comes on a later pull, so this pulls on from the last
   * cursor until {@code expected} rows have come.
   */
  private List<String> pullAll(int limit, int expected) throws Exception {
    String token = TestNode.token("reader", GW);
    List<String> rows = new ArrayList<>();
    String[] cursor = {"0"};
    int[] fullPages = {0};
    Await.until(expected + " rows pulled", Duration.ofSeconds(20), () -> {
      try {
        while (true) {
          HttpResponse<String> response = http.get("/v1/sync/" + GW + "/pull?since=" + cursor[0] + "&limit=" + limit,
              token);
          assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
          JsonNode page = JSON.readTree(response.body());
          assertThat(page.get("deltas").size()).as("page size").isLessThanOrEqualTo(limit);
          page.get("deltas").forEach(delta -> rows.add(delta.get("rowId").asText()));
          cursor[0] = page.get("serverHlc").asText();
          if (!page.get("hasMore").asBoolean()) {
            return rows.size() >= expected;
          }
          assertThat(page.get("deltas")).as("a page with hasMore is not empty").isNotEmpty();
          fullPages[0]++;
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(new HashSet<>(rows)).as("no row twice").hasSize(rows.size());
    assertThat(fullPages[0]).as("paged").isGreaterThanOrEqualTo(expected / limit - 1);
    for (String table : TABLES) {
      List<String> ofTable = rows.stream().filter(row -> row.startsWith(table + "-")).toList();
      assertThat(ofTable).as(table + " in push order").isSortedAccordingTo(
          (a, b) -> Integer.compare(Integer.parseInt(a.substring(a.indexOf('-') + 1)),
              Integer.parseInt(b.substring(b.indexOf('-') + 1))));
    }
    return rows;
  }

  @Test
  void anHttpPushIsSplitByTableAndPullsPageThroughEveryShardWithoutSkipping() throws Exception {
    int perTable = 40;
    for (int batch = 0; batch < 4; batch++) {
      List<String> deltas = new ArrayList<>();
      for (int i = batch * 10; i < batch * 10 + 10; i++) {
        for (String table : TABLES) {
          deltas.add(titled(table, "alice", i));
        }
      }
      HttpResponse<String> pushed = push("alice", deltas);
      assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
      JsonNode ack = JSON.readTree(pushed.body());
      assertThat(ack.get("accepted").asInt()).isEqualTo(30);
      assertThat(ack.get("deltas").size()).as("every part's ingested deltas").isEqualTo(30);
    }

    List<String> rows = pullAll(7, 3 * perTable);
    assertThat(rows).hasSize(3 * perTable);

    JsonNode metrics = JSON.readTree(http.get("/v1/admin/metrics/" + GW, admin).body());
    assertThat(metrics.get("indexSize").asInt()).as("rows of every shard").isEqualTo(3 * perTable);
    JsonNode cluster = JSON.readTree(http.get("/v1/admin/cluster", admin).body());
    List<String> entities = new ArrayList<>();
    cluster.get("gateways").forEach(gateway -> entities.add(gateway.get("id").asText()));
    assertThat(entities).contains("shop", "shop~orders", "shop~catalogue");

    JsonNode map = JSON.readTree(http.get("/v1/admin/shards/" + GW, admin).body());
    assertThat(map.get("sharded").asBoolean()).isTrue();
    assertThat(map.get("defaultEntity").asText()).isEqualTo("shop");
    Map<String, String> shards = new HashMap<>();
    map.get("shards").forEach(shard -> shards.put(shard.get("entity").asText(),
        shard.get("name").asText() + ":" + shard.get("tables")));
    assertThat(shards).isEqualTo(Map.of("shop~orders", "orders:[\"orders\"]",
        "shop~catalogue", "catalogue:[\"products\"]"));
    HttpResponse<String> plain = http.get("/v1/admin/shards/plain", TestNode.adminToken("ops", "plain"));
    assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
    assertThat(JSON.readTree(plain.body()).get("sharded").asBoolean()).isFalse();
    assertThat(JSON.readTree(plain.body()).get("shards")).isEmpty();
    assertThat(http.get("/v1/admin/shards/" + GW, TestNode.token("alice", GW)).statusCode()).as("admin only")
        .isEqualTo(403);
  }

  @Test
  void aWebSocketPushIsSplitAndBroadcastsReachSessionsFromEveryShard() throws Exception {
    TestWebSocketClient alice = TestWebSocketClient.connectWith(node.httpPort(), GW, TestNode.token("alice", GW));
    TestWebSocketClient bob = TestWebSocketClient.connectWith(node.httpPort(), GW, TestNode.token("bob", GW));
    {
      alice.subscribed("alice");
      bob.subscribed("bob");
      SyncPush.Builder push = SyncPush.newBuilder().setClientId("alice");
      int n = 0;
      for (String table : TABLES) {
        n++;
        push.addDeltas(RowDelta.newBuilder().setOp(DeltaOp.DELTA_OP_INSERT).setTable(table).setRowId(table + "-" + n)
            .setClientId("alice").setHlc(NodeHttp.hlcNow(n)).setDeltaId("ws-" + n)
            .addColumns(ColumnDelta.newBuilder().setColumn("title").setValue(com.google.protobuf.ByteString
                .copyFromUtf8("\"t\""))));
      }
      alice.send(Frames.encodePush(push.build()));
      SyncResponse reply = SyncResponse.parseFrom(alice.next());
      assertThat(reply.getServerHlc()).isPositive();

      Set<String> broadcast = new HashSet<>();
      while (broadcast.size() < 3) {
        broadcast.addAll(bob.nextBroadcastRows());
      }
      assertThat(broadcast).containsExactlyInAnyOrder("orders-1", "products-2", "notes-3");

      assertThat(push("carol", List.of(titled("products", "carol", 9))).statusCode()).isEqualTo(200);
      assertThat(bob.nextBroadcastRows()).as("a push over HTTP to another shard").containsExactly("products-9");
      assertThat(alice.nextBroadcastRows()).containsExactly("products-9");
      assertThat(alice.messages).as("no broadcast of her own push").isEmpty();
    }
    assertThat(pullAll(100, 4)).containsExactlyInAnyOrder("orders-1", "products-2", "notes-3", "products-9");
  }

  @Test
  void aPartRefusedByItsShardFailsThePushAndTheRetryAddsNothingTwice() throws Exception {
    String schema = "{\"table\":\"products\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"}]}";
    assertThat(http.post("/v1/admin/schema/" + GW, admin, schema).statusCode()).isEqualTo(200);
    List<String> deltas = List.of(titled("orders", "alice", 1), titled("notes", "alice", 2),
        delta("products", "alice", 3, "[{\"column\":\"price\",\"value\":3}]"));

    HttpResponse<String> refused = push("alice", deltas);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
    assertThat(refused.body()).contains("\"SCHEMA_ERROR\"");

    String evolved = "{\"table\":\"products\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"},"
        + "{\"name\":\"price\",\"type\":\"number\"}]}";
    HttpResponse<String> saved = http.post("/v1/admin/schema/" + GW, admin, evolved);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
    HttpResponse<String> retried = push("alice", deltas);
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
    assertThat(JSON.readTree(retried.body()).get("accepted").asInt()).isEqualTo(3);

    assertThat(pullAll(100, 3)).containsExactlyInAnyOrder("orders-1", "notes-2", "products-3");
  }
}
