package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.hlcNow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncResponse;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket session kept subscribed to one gateway while a test throws bad input at it. A
 * gateway that restarted has forgotten its sessions: the sentinel then misses the next broadcast.
 */
final class SentinelSession {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestWebSocketClient client;
  private final NodeHttp http;
  private final String gatewayId;
  private final AtomicInteger probes = new AtomicInteger();

  private SentinelSession(TestWebSocketClient client, NodeHttp http, String gatewayId) {
    this.client = client;
    this.http = http;
    this.gatewayId = gatewayId;
  }

  /** Connected and subscribed: the gateway has answered its first pull. */
  static SentinelSession open(int httpPort, NodeHttp http, String gatewayId) throws Exception {
    TestWebSocketClient client = TestWebSocketClient.connect(httpPort, gatewayId, "sentinel");
    client.send(Frames.encodePull(SyncPull.newBuilder().setClientId("sentinel").build()));
    SyncResponse.parseFrom(client.next());
    return new SentinelSession(client, http, gatewayId);
  }

  /**
   * The gateway answers a valid pull and a valid push, and is the same incarnation: the push
   * reaches the sentinel as a broadcast, and the admin metrics still count its session.
   */
  void assertGatewayKeptServing() throws Exception {
    String row = "probe-" + probes.incrementAndGet();
    String token = TestNode.token("prober", gatewayId);
    HttpResponse<String> pulled = http.get("/v1/sync/" + gatewayId + "/pull?since=0&limit=1", token);
    assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);

    HttpResponse<String> pushed = http.post("/v1/sync/" + gatewayId + "/push", token, NodeHttp.push("prober",
        List.of(NodeHttp.delta("INSERT", "probes", "prober", row, hlcNow(0), "[]"))));
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
    byte[] broadcast = client.next();
    assertThat(broadcast[0]).isEqualTo(Frames.TAG_BROADCAST);
    assertThat(SyncResponse.parseFrom(Arrays.copyOfRange(broadcast, 1, broadcast.length)).getDeltasList())
        .as("the broadcast reaches the session the gateway had before").extracting(RowDelta::getRowId)
        .containsExactly(row);

    HttpResponse<String> metrics = http.get("/v1/admin/metrics/" + gatewayId, TestNode.adminToken("ops", gatewayId));
    assertThat(metrics.statusCode()).as(metrics.body()).isEqualTo(200);
    assertThat(JSON.readTree(metrics.body()).get("sessions").asInt()).isGreaterThanOrEqualTo(1);
  }
}
