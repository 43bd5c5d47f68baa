package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.remote.RemoteActorRefProvider;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims versions on three nodes: a raise on one is read on another at once (majority write, then
 * majority read), a node cut off from the others refuses rather than answers what it has, the
 * version survives a stop of the whole cluster, and a raise on one node cuts the user's LiveStore
 * socket on another.
 */
class ClaimsVersionClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PATH = "/v1/admin/claims-version/";
  // Artery's test mode lets a node's transport drop all traffic to and from another node; the
  // split-brain resolver waits longer than this test needs a cut-off node, so nothing is downed.
  private static final Map<String, Object> SETTINGS = Map.of(
      "pekko.remote.artery.advanced.test-mode", "on",
      "pekko.cluster.split-brain-resolver.stable-after", "60s",
      "lakeshard.claims-versions.timeout", "1s",
      "lakeshard.workspace.auth", "on",
      "lakeshard.workspace.server-bypass-token", WorkspaceAuthTest.BYPASS);

  @TempDir Path dir;
  private final List<LakeshardNode> nodes = new ArrayList<>();
  private final String admin = TestNode.adminToken("auth-service", "any");

  @AfterEach
  void stop() {
    TestCluster.stop(nodes);
  }

  private NodeHttp http(int node) {
    return new NodeHttp(() -> nodes.get(node).httpPort(), Duration.ofSeconds(15));
  }

  private long version(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body()).get("version").asLong();
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aRaiseIsReadEverywhereACutOffNodeRefusesAndAFullRestartKeepsIt() throws Exception {
    nodes.addAll(TestCluster.start(dir, SETTINGS));

    assertThat(version(http(0).post(PATH + "ann", admin, ""))).isEqualTo(1);
    assertThat(version(http(0).post(PATH + "ann", admin, "{\"version\": 5}"))).isEqualTo(5);
    // no waiting for gossip: the raise was acknowledged by a majority, the read asks a majority
    assertThat(version(http(2).get(PATH + "ann", admin))).isEqualTo(5);
    assertThat(version(http(1).post(PATH + "ann", admin, ""))).isEqualTo(6);
    assertThat(version(http(2).get(PATH + "ann", admin))).isEqualTo(6);

    cutOff(nodes.get(2), true);
    HttpResponse<String> refused = http(2).get(PATH + "ann", admin);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    assertThat(JSON.readTree(refused.body()).get("code").asText()).isEqualTo("CLAIMS_UNAVAILABLE");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(http(2).get(PATH + "nobody", admin).statusCode()).as("no entry is no answer either").isEqualTo(503);
    assertThat(http(2).post(PATH + "ann", admin, "").statusCode()).isEqualTo(503);
    assertThat(version(http(0).get(PATH + "ann", admin))).as("the majority side still answers").isEqualTo(6);
    assertThat(version(http(0).post(PATH + "ann", admin, ""))).isEqualTo(7);

    cutOff(nodes.get(2), false);
    Await.until("node 3 answers again", Duration.ofSeconds(30), () -> status(2) == 200);
    assertThat(version(http(2).get(PATH + "ann", admin))).isEqualTo(7);

    TestCluster.stop(nodes);
    nodes.clear();
    nodes.addAll(TestCluster.start(dir, SETTINGS)); // the same node-i data dirs
    for (int node = 0; node < 3; node++) {
      assertThat(version(http(node).get(PATH + "ann", admin))).as("node %d after the restart", node + 1).isEqualTo(7);
    }
    assertThat(version(http(2).post(PATH + "ann", admin, ""))).isEqualTo(8);
  }

  private int status(int node) {
    try {
      return http(node).get(PATH + "ann", admin).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Drops (or lets through again) everything between {@code node} and every other node. */
  @SuppressWarnings("deprecation") // Artery still takes the classic throttler's commands in test mode
  private void cutOff(LakeshardNode node, boolean cut) throws Exception {
    RemoteActorRefProvider provider =
        (RemoteActorRefProvider) ((ExtendedActorSystem) Adapter.toClassic(node.system())).provider();
    ThrottlerTransportAdapter.ThrottleMode mode = cut
        ? ThrottlerTransportAdapter.blackholeThrottleMode() : ThrottlerTransportAdapter.unthrottledThrottleMode();
    for (LakeshardNode other : nodes) {
      if (other != node) {
        scala.concurrent.Future<Object> done = provider.transport().managementCommand(new ThrottlerTransportAdapter.SetThrottle(
            Cluster.get(other.system()).selfMember().address(), ThrottlerTransportAdapter.bothDirection(), mode));
        scala.concurrent.Await.result(done, scala.concurrent.duration.Duration.create(5, TimeUnit.SECONDS));
      }
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aBumpOnNode1CutsASocketOnNode3AndTheOldTokenIsRefusedOnNode2() throws Exception {
    nodes.addAll(TestCluster.start(dir, SETTINGS));
    String store = "cluster-cut";
    String oldToken = WorkspaceAuthTest.token("eve", Map.of(store, "member"), 0, Instant.now().plusSeconds(600));
    String oldPayload = WorkspaceAuthTest.payload(store, "authToken", oldToken);
    LiveStoreTestClient onNode3 = LiveStoreTestClient.connect(nodes.get(2).httpPort(), store, oldPayload);
    onNode3.send(LiveStoreTestClient.request("1", "SyncWsRpc.Pull", LiveStoreTestClient.pullPayload(store, oldPayload, true)));
    assertThat(onNode3.next().path("_tag").asText()).isEqualTo("Chunk");

    assertThat(version(http(0).post(PATH + "eve", WorkspaceAuthTest.BYPASS, ""))).isEqualTo(1);
    long raised = System.nanoTime();
    // the majority that acknowledged may not hold node 3: it hears through gossip, then cuts within 2 s
    assertThat(onNode3.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4001);
    assertThat(Duration.ofNanos(System.nanoTime() - raised)).isLessThan(Duration.ofSeconds(5));

    HttpResponse<String> reconnect = http(1).get("/livestore" + LiveStoreTestClient.query(store, oldPayload, "ws"), null);
    assertThat(reconnect.statusCode()).as(reconnect.body()).isEqualTo(400);
    assertThat(reconnect.body()).startsWith("TOKEN_VERSION_STALE: ");

    String fresh = WorkspaceAuthTest.payload(store, "authToken",
        WorkspaceAuthTest.token("eve", Map.of(store, "member"), 1, Instant.now().plusSeconds(600)));
    LiveStoreTestClient again = LiveStoreTestClient.connect(nodes.get(1).httpPort(), store, fresh);
    again.send(LiveStoreTestClient.request("2", "SyncWsRpc.Pull", LiveStoreTestClient.pullPayload(store, fresh, false)));
    assertThat(again.next().path("_tag").asText()).isEqualTo("Chunk");
    assertThat(again.closed).isNotDone();
  }
}
