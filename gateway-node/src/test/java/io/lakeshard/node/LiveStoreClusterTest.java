package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.node.LiveStoreClient.Options;
import io.lakeshard.node.LiveStoreClient.State;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * LiveStore's own npm client on a three-node cluster: one client per node on one store, committing
 * at once; the store's entity lives on one node, the other two reach it through sharding, and its
 * live fan-out reaches sessions on every node.
 */
class LiveStoreClusterTest {
  private static final String AUTH_TOKEN = "livestore-cluster-token";
  private static final List<LakeshardNode> nodes = new ArrayList<>();

  @TempDir static Path dir;

  @BeforeAll
  static void startCluster() throws IOException {
    nodes.addAll(TestCluster.start(dir, Map.of("lakeshard.livestore.auth-token", AUTH_TOKEN)));
  }

  @AfterAll
  static void stopCluster() {
    TestCluster.stop(nodes);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void clientsOnDifferentNodesConvergeToOneOrder() throws Exception {
    List<Options> options = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      options.add(new Options("ws://127.0.0.1:" + nodes.get(i).httpPort() + "/livestore", "ws", "cluster",
          "client-" + i, AUTH_TOKEN, null));
    }
    List<LiveStoreClient> clients = LiveStoreClient.startAll(options);
    try {
      for (LiveStoreClient client : clients) {
        client.awaitTodos(0, Duration.ofSeconds(60));
      }
      for (int i = 0; i < clients.size(); i++) {
        clients.get(i).commitAsync("n" + i, 15);
      }
      for (LiveStoreClient client : clients) {
        client.committed();
      }
      List<State> states = new ArrayList<>();
      for (LiveStoreClient client : clients) {
        states.add(client.awaitTodos(45, Duration.ofSeconds(60)));
      }
      for (int i = 0; i < clients.size(); i++) {
        LiveStoreClientTest.assertChain(states.get(i), 45);
        assertThat(states.get(i).ids()).as("client %d's order", i).isEqualTo(states.get(0).ids());
        assertThat(states.get(i).ids()).containsAll(LiveStoreClientTest.ids("n" + i, 15));
        assertThat(states.get(i).backendIds()).as("client %d's backendIds", i).isEqualTo(states.get(0).backendIds()).hasSize(1);
      }
    } finally {
      for (LiveStoreClient client : clients) {
        client.close();
      }
    }
  }
}
