package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.node.LiveStoreClient.Options;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * LiveStore's own npm client (0.4.0) in workspace mode, with the sync payload Work Squared's web
 * client sends ({@code {instanceId, authToken}}): a member syncs; a bump of the user's claims
 * version through the admin route cuts its open socket (4001) and its reconnects with the old
 * token are refused at the upgrade; a client with a fresh token syncs again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WorkspaceLiveStoreClientTest {
  private static final Duration SYNC_LIMIT = Duration.ofSeconds(60);
  /** The client reconnects with backoff: 1 s doubling, jittered. */
  private static final Duration RECONNECT_LIMIT = Duration.ofSeconds(30);
  private static LakeshardNode node;
  private static NodeHttp http;
  private final List<LiveStoreClient> clients = new ArrayList<>();

  @BeforeAll
  static void startNode(@TempDir Path dataDir) {
    node = TestNode.start(dataDir, Map.of("lakeshard.workspace.auth", "on",
        "lakeshard.workspace.server-bypass-token", WorkspaceAuthTest.BYPASS));
    http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
  }

  @AfterAll
  static void stopNode() {
    node.stop().toCompletableFuture().join();
  }

  @AfterEach
  void closeClients() throws InterruptedException {
    for (LiveStoreClient client : clients) {
      client.close();
    }
  }

  private LiveStoreClient start(String storeId, String clientId, String token) throws Exception {
    LiveStoreClient client = LiveStoreClient.start(new Options("ws://127.0.0.1:" + node.httpPort() + "/livestore", "ws",
        storeId, clientId, token, null, storeId));
    clients.add(client);
    return client;
  }

  @Test
  void aMemberIsCutByABumpAndSyncsAgainWithAFreshToken() throws Exception {
    String storeId = "team-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    Instant exp = Instant.now().plus(Duration.ofMinutes(15));
    LiveStoreClient maria = start(storeId, "client-a",
        WorkspaceAuthTest.token("maria", Map.of(storeId, "member"), 0, exp));
    maria.commit("a", 2);
    assertThat(maria.awaitTodos(2, SYNC_LIMIT).ids()).containsExactly("a-0", "a-1");

    HttpResponse<String> raised = http.post("/v1/admin/claims-version/maria", WorkspaceAuthTest.BYPASS, "");
    assertThat(raised.statusCode()).as(raised.body()).isEqualTo(200);
    Await.until("maria's socket closed with 4001", Duration.ofSeconds(10),
        () -> state(maria).closeCodes().contains(4001L));
    Await.until("a reconnect with the old token refused at the upgrade", RECONNECT_LIMIT,
        () -> state(maria).refusedConnects().stream().anyMatch(error -> error.contains("400")));
    maria.commit("late", 1);

    LiveStoreClient fresh = start(storeId, "client-b",
        WorkspaceAuthTest.token("maria", Map.of(storeId, "member"), 1, exp));
    assertThat(fresh.awaitTodos(2, SYNC_LIMIT).ids()).containsExactly("a-0", "a-1");
    fresh.commit("b", 1);
    assertThat(fresh.awaitTodos(3, SYNC_LIMIT).ids()).containsExactly("a-0", "a-1", "b-0");
    assertThat(state(maria).upstreamHead()).as("the cut client confirmed nothing more").isEqualTo(2);
  }

  private static LiveStoreClient.State state(LiveStoreClient client) {
    try {
      return client.state();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
