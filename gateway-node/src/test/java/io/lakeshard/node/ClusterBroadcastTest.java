package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM, formed by Cluster Bootstrap, sharing one journal: any node serves any
 * gateway and any stream; a push through one node reaches WebSocket sessions held on the others,
 * and an append through one node wakes stream readers waiting on the others.
 */
class ClusterBroadcastTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<LakeshardNode> nodes = new ArrayList<>();

  @TempDir static Path dir;

  @BeforeAll
  static void startCluster() throws IOException {
    nodes.addAll(TestCluster.start(dir, Map.of()));
  }

  @AfterAll
  static void stopCluster() {
    TestCluster.stop(nodes);
  }

  private static NodeHttp http(LakeshardNode node) {
    return new NodeHttp(node::httpPort, Duration.ofSeconds(30));
  }

  private static SyncPush push(String clientId, String rowId) {
    return SyncPush.newBuilder().setClientId(clientId).addDeltas(RowDelta.newBuilder()
        .setOp(DeltaOp.DELTA_OP_INSERT).setTable("todos").setRowId(rowId).setClientId(clientId)
        .setHlc(HybridClock.encode(System.currentTimeMillis(), 0))).build();
  }

  /** Joined once the session has had a reply: the gateway then knows it. */
  private static TestWebSocketClient subscribed(LakeshardNode node, String gatewayId, String clientId) throws Exception {
    return TestWebSocketClient.connect(node.httpPort(), gatewayId, clientId).subscribed(clientId);
  }

  @Test
  void aPushThroughOneNodeReachesWebSocketSessionsOnTheOthers() throws Exception {
    TestWebSocketClient onFirst = subscribed(nodes.get(0), "shared", "alice");
    TestWebSocketClient onThird = subscribed(nodes.get(2), "shared", "carol");

    String body = "{\"clientId\":\"bob\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"todos\",\"rowId\":\"via-http\","
        + "\"clientId\":\"bob\",\"hlc\":\"" + HybridClock.encode(System.currentTimeMillis(), 0) + "\"}]}";
    HttpResponse<String> pushed = http(nodes.get(1)).post("/v1/sync/shared/push", TestNode.token("bob", "shared"), body);
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
    assertThat(onFirst.nextBroadcastRows()).containsExactly("via-http");
    assertThat(onThird.nextBroadcastRows()).containsExactly("via-http");

    onFirst.send(Frames.encodePush(push("alice", "via-ws")));
    assertThat(SyncResponse.parseFrom(onFirst.next()).getServerHlc()).isPositive();
    assertThat(onThird.nextBroadcastRows()).containsExactly("via-ws");
    assertThat(onFirst.messages).as("no broadcast back to the pusher").isEmpty();
  }

  @Test
  @Timeout(60)
  void anAppendThroughOneNodeWakesLongPollAndSseReadersOnAnother() throws Exception {
    NodeHttp first = http(nodes.get(0));
    NodeHttp third = http(nodes.get(2));
    HttpResponse<String> created = third.send("PUT", "/v1/stream/across", "text/plain", null);
    assertThat(created.statusCode()).isEqualTo(201);
    String tail = created.headers().firstValue("Stream-Next-Offset").orElseThrow();

    try (NodeHttp.SseLines events = first.sse("/v1/stream/across?offset=" + tail + "&live=sse")) {
      events.readUntil(line -> line.contains("\"upToDate\":true"));
      CompletableFuture<HttpResponse<String>> longPoll = first.sendAsync(
          first.request("GET", "/v1/stream/across?offset=" + tail + "&live=long-poll", null, null),
          HttpResponse.BodyHandlers.ofString());
      assertThatThrownBy(() -> longPoll.get(500, TimeUnit.MILLISECONDS)).as("a long-poll at the tail waits")
          .isInstanceOf(TimeoutException.class);

      assertThat(third.send("POST", "/v1/stream/across", "text/plain", "woken").statusCode()).isEqualTo(204);
      HttpResponse<String> woken = longPoll.get(20, TimeUnit.SECONDS);
      assertThat(woken.statusCode()).isEqualTo(200);
      assertThat(woken.body()).isEqualTo("woken");
      assertThat(events.readUntil(line -> line.startsWith("data:"))).contains("event: data", "data:woken");
    }
    // The registry is one stream for the whole cluster: a create through node 3 is seen through node 1.
    assertThat(first.send("GET", "/v1/stream/__registry__?offset=-1", null, null).body()).contains("\"key\":\"across\"");
  }

  @Test
  void theClusterRouteShowsMembersShardsAndLiveGateways() throws Exception {
    for (LakeshardNode node : nodes) {
      // Every node serves every gateway, wherever it lives.
      String gatewayId = "seen-" + node.httpPort();
      String body = "{\"clientId\":\"c\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"t\",\"rowId\":\"1\",\"clientId\":\"c\","
          + "\"hlc\":\"" + HybridClock.encode(System.currentTimeMillis(), 0) + "\"}]}";
      assertThat(http(node).post("/v1/sync/" + gatewayId + "/push", TestNode.token("c", gatewayId), body).statusCode())
          .isEqualTo(200);
    }
    NodeHttp third = http(nodes.get(2));
    assertThat(third.get("/v1/admin/cluster", TestNode.token("c", "any")).statusCode()).as("admin role required")
        .isEqualTo(403);

    HttpResponse<String> response = third.get("/v1/admin/cluster", TestNode.adminToken("ops", "any"));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode view = JSON.readTree(response.body());
    assertThat(view.get("members")).hasSize(3)
        .allSatisfy(member -> assertThat(member.get("status").asText()).isEqualTo("Up"));
    assertThat(view.get("nodes")).hasSize(3);
    int shards = 0;
    for (JsonNode node : view.get("nodes")) {
      shards += node.get("shards").asInt();
    }
    assertThat(shards).isPositive();
    List<String> gateways = new ArrayList<>();
    view.get("gateways").forEach(gateway -> {
      gateways.add(gateway.get("id").asText());
      assertThat(gateway.get("node").asText()).startsWith("pekko://lakeshard@127.0.0.1:");
    });
    for (LakeshardNode node : nodes) {
      assertThat(gateways).contains("seen-" + node.httpPort());
    }
    JsonNode seen = null;
    for (JsonNode gateway : view.get("gateways")) {
      if (gateway.get("id").asText().equals("seen-" + nodes.get(0).httpPort())) {
        seen = gateway;
      }
    }
    assertThat(seen).isNotNull();
    assertThat(seen.get("bufferedDeltas").asInt()).isEqualTo(1);
    assertThat(seen.get("lastFlushSeq").asLong()).isZero();
  }
}
