package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.hlcNow;
import static io.lakeshard.node.NodeHttp.push;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncResponse;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sync rules on a real node: the admin route, per-client pulls over HTTP and WebSocket, per-session
 * broadcasts, filtered paging, and the rules after a restart. A pull reads at most 7 deltas per
 * page here, so a client that may see few rows pages through long runs of others.
 */
class SyncRulesNodeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SCAN = 7;
  private static final String GW = "gw1";
  /** Rows of {@code todos} whose {@code org} column is one of the client's {@code org} claim. */
  private static final String BY_ORG = "{\"version\":2,\"buckets\":[{\"name\":\"org\",\"tables\":[\"todos\"],"
      + "\"filters\":[{\"column\":\"org\",\"op\":\"in\",\"value\":\"jwt:org\"}]}]}";

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(70));
  private final String admin = TestNode.adminToken("ops", GW);
  private final String acme = TestNode.token("alice", GW, Map.of("org", "acme"));
  private final String beta = TestNode.token("bob", GW, Map.of("org", List.of("beta", "gamma")));

  @BeforeEach
  void start() {
    node = start(dataDir);
  }

  private static LakeshardNode start(Path dataDir) {
    // A flush (the first in a JVM loads Parquet and Iceberg) may take seconds on a busy machine.
    return TestNode.start(dataDir, Map.of("lakeshard.gateway.pull.max-filtered-scan", SCAN,
        "lakeshard.http.ask-timeout", "60s"));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
  }

  private void saveRules(String rules) throws Exception {
    HttpResponse<String> saved = http.post("/v1/admin/sync-rules/" + GW, admin, rules);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
    assertThat(JSON.readTree(saved.body()).get("saved").asBoolean()).isTrue();
  }

  private static String row(String table, String client, String rowId, int counter, String org) {
    String columns = org == null ? "[{\"column\":\"title\",\"value\":\"t\"}]"
        : "[{\"column\":\"title\",\"value\":\"t\"},{\"column\":\"org\",\"value\":\"" + org + "\"}]";
    return NodeHttp.delta("INSERT", table, client, rowId, hlcNow(counter), columns);
  }

  private void httpPush(String token, String client, List<String> deltas) throws Exception {
    HttpResponse<String> pushed = http.post("/v1/sync/" + GW + "/push", token, push(client, deltas));
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
  }

  /** Every row the token's holder pulls over HTTP with {@code limit}, checking each page: its size, header and cursor. */
  private List<String> httpPullAll(String token, int limit) throws Exception {
    List<String> rows = new ArrayList<>();
    String cursor = "0";
    for (int page = 0; page < 200; page++) {
      HttpResponse<String> response = http.get("/v1/sync/" + GW + "/pull?since=" + cursor + "&limit=" + limit, token);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(response.headers().firstValue("X-Sync-Rules-Version")).hasValue("2");
      JsonNode body = JSON.readTree(response.body());
      assertThat(body.get("deltas").size()).isLessThanOrEqualTo(limit);
      body.get("deltas").forEach(delta -> rows.add(delta.get("rowId").asText()));
      String next = body.get("serverHlc").asText();
      assertThat(Long.compareUnsigned(Long.parseUnsignedLong(next), Long.parseUnsignedLong(cursor)))
          .as("the cursor moves on").isPositive();
      cursor = next;
      if (!body.get("hasMore").asBoolean()) {
        return rows;
      }
    }
    throw new AssertionError("the pull did not end within 200 pages");
  }

  private static List<String> wsPullAll(TestWebSocketClient socket, String clientId, int limit) throws Exception {
    List<String> rows = new ArrayList<>();
    long cursor = 0;
    for (int page = 0; page < 200; page++) {
      socket.send(Frames.encodePull(SyncPull.newBuilder().setClientId(clientId).setSinceHlc(cursor)
          .setMaxDeltas(limit).build()));
      SyncResponse reply = SyncResponse.parseFrom(socket.next());
      assertThat(Long.compareUnsigned(reply.getServerHlc(), cursor)).as("the cursor moves on").isPositive();
      reply.getDeltasList().forEach(delta -> rows.add(delta.getRowId()));
      cursor = reply.getServerHlc();
      if (!reply.getHasMore()) {
        return rows;
      }
    }
    throw new AssertionError("the pull did not end within 200 pages");
  }

  private TestWebSocketClient subscribed(String token, String clientId) throws Exception {
    return TestWebSocketClient.connectWith(node.httpPort(), GW, token).subscribed(clientId);
  }

  @Test
  void clientsWithDifferentClaimsPullAndHearOnlyTheirRowsOverBothTransports() throws Exception {
    saveRules(BY_ORG);
    TestWebSocketClient aliceSocket = subscribed(acme, "alice");
    TestWebSocketClient bobSocket = subscribed(beta, "bob");
    String writer = TestNode.token("carol", GW);
    httpPush(writer, "carol", List.of(row("todos", "carol", "a1", 0, "acme"), row("todos", "carol", "b1", 1, "beta"),
        row("todos", "carol", "n1", 2, null), row("todos", "carol", "g1", 3, "gamma"),
        row("notes", "carol", "x1", 4, "acme"), row("todos", "carol", "a2", 5, "acme")));

    assertThat(aliceSocket.nextBroadcastRows()).containsExactly("a1", "a2");
    assertThat(bobSocket.nextBroadcastRows()).containsExactly("b1", "g1");
    // A push with nothing a session may see sends it nothing: the next broadcast it gets is the next it may see.
    httpPush(writer, "carol", List.of(row("todos", "carol", "b2", 6, "beta")));
    httpPush(writer, "carol", List.of(row("todos", "carol", "a3", 7, "acme")));
    assertThat(aliceSocket.nextBroadcastRows()).containsExactly("a3");
    assertThat(bobSocket.nextBroadcastRows()).containsExactly("b2");

    assertThat(httpPullAll(acme, 100)).containsExactly("a1", "a2", "a3");
    assertThat(httpPullAll(beta, 1)).containsExactly("b1", "g1", "b2");
    assertThat(wsPullAll(aliceSocket, "alice", 100)).containsExactly("a1", "a2", "a3");
    assertThat(wsPullAll(bobSocket, "bob", 2)).containsExactly("b1", "g1", "b2");
    assertThat(httpPullAll(writer, 100)).as("no org claim: no rows").isEmpty();
  }

  @Test
  void pagingOverAGatewayWhereMostRowsAreFilteredOutSkipsNothingAndEnds() throws Exception {
    String writer = TestNode.token("carol", GW);
    List<String> expected = new ArrayList<>();
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      boolean acmes = i % 17 == 3 || i == 119;
      deltas.add(row("todos", "carol", "r" + i, i, acmes ? "acme" : "beta"));
      if (acmes) {
        expected.add("r" + i);
      }
    }
    saveRules(BY_ORG);
    httpPush(writer, "carol", deltas.subList(0, 60));
    // The first half is then read back from the lake, the rest from the buffer.
    assertThat(http.post("/v1/admin/flush/" + GW, admin, "").statusCode()).isEqualTo(200);
    httpPush(writer, "carol", deltas.subList(60, 120));

    assertThat(httpPullAll(acme, 2)).containsExactlyElementsOf(expected);
    TestWebSocketClient socket = subscribed(acme, "alice");
    assertThat(wsPullAll(socket, "alice", 1)).containsExactlyElementsOf(expected);
    List<String> bobs = IntStream.range(0, 120).filter(i -> !expected.contains("r" + i)).mapToObj(i -> "r" + i).toList();
    assertThat(httpPullAll(beta, 50)).containsExactlyElementsOf(bobs);
  }

  @Test
  void rulesSurviveARestartFromTheJournalAndFromASnapshot() throws Exception {
    saveRules(BY_ORG);
    String writer = TestNode.token("carol", GW);
    httpPush(writer, "carol", List.of(row("todos", "carol", "a1", 0, "acme"), row("todos", "carol", "b1", 1, "beta")));
    node.stop().toCompletableFuture().join();
    node = start(dataDir);
    assertThat(httpPullAll(acme, 10)).as("rules replayed from the journal").containsExactly("a1");

    // A flush snapshots the gateway and deletes the events before it: the rules live in the snapshot.
    assertThat(http.post("/v1/admin/flush/" + GW, admin, "").statusCode()).isEqualTo(200);
    node.stop().toCompletableFuture().join();
    node = start(dataDir);
    HttpResponse<String> rules = http.get("/v1/admin/sync-rules/" + GW, admin);
    assertThat(rules.statusCode()).as(rules.body()).isEqualTo(200);
    assertThat(JSON.readTree(rules.body())).isEqualTo(JSON.readTree(BY_ORG));
    assertThat(httpPullAll(beta, 10)).containsExactly("b1");
  }

  @Test
  void theAdminRouteValidatesAsLakeSyncAndNeedsAnAdminTokenForTheGateway() throws Exception {
    String path = "/v1/admin/sync-rules/" + GW;
    HttpResponse<String> none = http.get(path, admin);
    assertThat(none.statusCode()).as(none.body()).isEqualTo(404);
    for (String invalid : List.of("not json", "{\"version\":0,\"buckets\":[]}", "{\"version\":1}",
        "{\"version\":1,\"buckets\":[{\"name\":\"b\",\"tables\":[],\"filters\":[{\"column\":\"c\",\"op\":\"like\","
            + "\"value\":\"v\"}]}]}")) {
      HttpResponse<String> refused = http.post(path, admin, invalid);
      assertThat(refused.statusCode()).as(invalid + " → " + refused.body()).isEqualTo(400);
      assertThat(refused.body()).contains("\"VALIDATION_ERROR\"");
    }
    assertThat(http.post(path, TestNode.token("alice", GW), BY_ORG).statusCode()).isEqualTo(403);
    assertThat(http.post(path, TestNode.adminToken("ops", "other"), BY_ORG).statusCode()).isEqualTo(403);
    assertThat(http.get(path, TestNode.token("alice", GW)).statusCode()).isEqualTo(403);
    assertThat(http.post(path, null, BY_ORG).statusCode()).isEqualTo(401);
    assertThat(http.get(path, admin).statusCode()).as("nothing was saved").isEqualTo(404);

    saveRules(BY_ORG);
    assertThat(JSON.readTree(http.get(path, admin).body())).isEqualTo(JSON.readTree(BY_ORG));
    // Buckets emptied: every client gets every row again (as LakeSync's gateway).
    saveRules("{\"version\":3,\"buckets\":[]}");
    httpPush(TestNode.token("carol", GW), "carol", List.of(row("todos", "carol", "n1", 0, null)));
    HttpResponse<String> pulled = http.get("/v1/sync/" + GW + "/pull", acme);
    assertThat(pulled.headers().firstValue("X-Sync-Rules-Version")).hasValue("3");
    assertThat(JSON.readTree(pulled.body()).get("deltas")).hasSize(1);
  }
}
