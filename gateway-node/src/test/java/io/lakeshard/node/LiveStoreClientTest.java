package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.node.LiveStoreClient.Options;
import io.lakeshard.node.LiveStoreClient.State;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * LiveStore's own npm client (0.4.0, headless in Node) against one node process, each test on its
 * own store: live convergence, paging, rebase, file storage resuming from its cursor, a SIGKILL of
 * the node, and the HTTP transport.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LiveStoreClientTest {
  private static final String AUTH_TOKEN = "livestore-test-token";
  private static final Duration SYNC_LIMIT = Duration.ofSeconds(60);
  /** A client reconnects with backoff (1 s doubling, jittered) while the node restarts. */
  private static final Duration RECONNECT_LIMIT = Duration.ofSeconds(90);

  /**
   * A LiveStore sync server's base URL (ws://…) to run these tests against instead of a node, e.g.
   * LiveStore's own worker under {@code wrangler dev}: the tests that need the node are skipped.
   */
  private static final String EXTERNAL_URL = System.getProperty("livestore.url");
  /** Store ids of this run: a server outside the test keeps stores across runs. */
  private static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);

  @TempDir static Path dataDir;
  private static NodeProcess node;
  private final List<LiveStoreClient> clients = new ArrayList<>();
  @TempDir Path clientDir;

  @BeforeAll
  static void startNode() throws Exception {
    if (EXTERNAL_URL != null) {
      return;
    }
    node = new NodeProcess(dataDir, FreePorts.next());
    node.start();
  }

  @AfterAll
  static void stopNode() throws InterruptedException {
    if (node != null) {
      node.kill();
    }
  }

  @AfterEach
  void closeClients() throws InterruptedException {
    for (LiveStoreClient client : clients) {
      client.close();
    }
  }

  @Test
  void twoClientsConvergeLive() throws Exception {
    List<LiveStoreClient> pair = clients(options("live", "client-a"), options("live", "client-b"));
    LiveStoreClient a = pair.get(0);
    LiveStoreClient b = pair.get(1);
    a.commit("a", 5);
    assertThat(b.awaitTodos(5, SYNC_LIMIT).ids()).containsExactly("a-0", "a-1", "a-2", "a-3", "a-4");
    b.commit("b", 5);
    State onA = a.awaitTodos(10, SYNC_LIMIT);
    State onB = b.awaitTodos(10, SYNC_LIMIT);
    assertThat(onA.ids()).hasSize(10).isEqualTo(onB.ids());
    assertChain(onA, 10);
  }

  @Test
  void aNewClientPullsTwoHundredFiftyEventsInPagesInOrder() throws Exception {
    LiveStoreClient writer = client("paging", "writer");
    writer.commit("e", 250);
    State written = writer.awaitTodos(250, SYNC_LIMIT);

    State read = client("paging", "reader").awaitTodos(250, SYNC_LIMIT);
    assertThat(read.ids()).isEqualTo(written.ids());
    assertChain(read, 250);
    assertThat(read.receivedEvents()).as("every event pulled once").isEqualTo(250);
    assertThat(read.maxBatch()).as("at most 100 events per chunk").isLessThanOrEqualTo(100);
    assertThat(read.receivedChunks()).as("chunks of 100, 100, 50").isGreaterThanOrEqualTo(3);
  }

  @Test
  void twoClientsCommittingAtOnceRebaseAndConvergeToOneOrder() throws Exception {
    // Pushes on the root of a held- store wait (TestLiveStoreHook), so both clients push on it.
    List<LiveStoreClient> pair = clients(options("held-rebase", "client-a"), options("held-rebase", "client-b"));
    LiveStoreClient a = pair.get(0);
    LiveStoreClient b = pair.get(1);
    a.awaitTodos(0, SYNC_LIMIT);
    b.awaitTodos(0, SYNC_LIMIT);
    a.commitAsync("a", 40);
    b.commitAsync("b", 40);
    a.committed();
    b.committed();

    State onA = a.awaitTodos(80, SYNC_LIMIT);
    State onB = b.awaitTodos(80, SYNC_LIMIT);
    assertThat(onA.ids()).as("one order on both").isEqualTo(onB.ids());
    assertThat(onA.ids()).as("every event once").doesNotHaveDuplicates().hasSize(80)
        .containsAll(ids("a", 40)).containsAll(ids("b", 40));
    assertChain(onA, 80);
    assertChain(onB, 80);
    assertThat(onA.serverAhead() + onB.serverAhead()).as("pushes refused as behind, then rebased").isPositive();
  }

  @Test
  void aClientWithFileStorageResumesFromItsCursor() throws Exception {
    Options files = options("resume", "client-f").withStorage(clientDir.resolve("client-f"));
    List<LiveStoreClient> pair = clients(files, options("resume", "client-g"));
    LiveStoreClient first = pair.get(0);
    LiveStoreClient other = pair.get(1);
    first.commit("f", 20);
    first.awaitTodos(20, SYNC_LIMIT);
    first.close();

    other.commit("g", 10);
    other.awaitTodos(30, SYNC_LIMIT);

    LiveStoreClient resumed = start(files);
    assertThat(resumed.state().ids()).as("its own events, from its files").hasSizeGreaterThanOrEqualTo(20)
        .containsAll(ids("f", 20));
    State caughtUp = resumed.awaitTodos(30, SYNC_LIMIT);
    assertThat(caughtUp.ids()).isEqualTo(other.state().ids());
    assertThat(caughtUp.receivedEvents()).as("pulled only what came after its cursor").isEqualTo(10);
  }

  @Test
  void afterSigkillAndRestartClientsReconnectWithTheSameBackendIdAndLoseNothing() throws Exception {
    assumeTrue(node != null, "needs the node: it is killed");
    List<LiveStoreClient> pair = clients(options("sigkill", "client-a"), options("sigkill", "client-b"));
    LiveStoreClient a = pair.get(0);
    LiveStoreClient b = pair.get(1);
    a.commit("before", 20);
    List<String> backendIds = a.awaitTodos(20, SYNC_LIMIT).backendIds();
    assertThat(backendIds).hasSize(1);
    String backendId = backendIds.get(0);
    assertThat(b.awaitTodos(20, SYNC_LIMIT).backendIds()).containsExactly(backendId);

    node.kill();
    a.commit("offline", 10);
    node.start();
    b.commit("after", 10);

    State onA = a.awaitTodos(40, RECONNECT_LIMIT);
    State onB = b.awaitTodos(40, RECONNECT_LIMIT);
    assertThat(onA.ids()).isEqualTo(onB.ids()).doesNotHaveDuplicates().hasSize(40)
        .containsAll(ids("before", 20)).containsAll(ids("offline", 10)).containsAll(ids("after", 10));
    assertChain(onA, 40);
    assertThat(onA.backendIds()).as("backendIds client a saw").containsExactly(backendId);
    assertThat(onB.backendIds()).as("backendIds client b saw").containsExactly(backendId);
    HttpResponse<String> info = node.http.get("/v1/admin/livestore/sigkill-" + RUN, TestNode.adminToken("ops", "any"));
    assertThat(info.statusCode()).as(info.body()).isEqualTo(200);
    JsonNode store = new ObjectMapper().readTree(info.body());
    assertThat(store.path("backendId").asText()).as("the store's backendId after the restart").isEqualTo(backendId);
    assertThat(store.path("head").asLong()).isEqualTo(40);
  }

  @Test
  void theHttpTransportSyncsWithAWebSocketClient() throws Exception {
    List<LiveStoreClient> pair =
        clients(options("http", "client-ws"), options("http", "client-http").withTransport("http", url("http")));
    LiveStoreClient ws = pair.get(0);
    LiveStoreClient http = pair.get(1);
    ws.commit("w", 5);
    assertThat(http.awaitTodos(5, SYNC_LIMIT).ids()).isEqualTo(ids("w", 5));
    http.commit("h", 5);
    State onWs = ws.awaitTodos(10, SYNC_LIMIT);
    assertThat(onWs.ids()).isEqualTo(http.awaitTodos(10, SYNC_LIMIT).ids())
        .containsAll(ids("h", 5));
    assertChain(onWs, 10);
  }

  private LiveStoreClient client(String storeId, String clientId) throws IOException, InterruptedException {
    return start(options(storeId, clientId));
  }

  private List<LiveStoreClient> clients(Options... options) throws IOException, InterruptedException {
    List<LiveStoreClient> started = LiveStoreClient.startAll(List.of(options));
    clients.addAll(started);
    return started;
  }

  private LiveStoreClient start(Options options) throws IOException, InterruptedException {
    LiveStoreClient client = LiveStoreClient.start(options);
    clients.add(client);
    return client;
  }

  private static Options options(String storeId, String clientId) {
    return new Options(url("ws"), "ws", storeId + "-" + RUN, clientId, AUTH_TOKEN, null);
  }

  private static String url(String transport) {
    String base = EXTERNAL_URL != null ? EXTERNAL_URL : node.url();
    return "ws".equals(transport) ? base : base.replaceFirst("^ws", "http");
  }

  /**
   * The client's confirmed log is one chain 1..count (each event's parent the one before) and its
   * table holds the todos in that order.
   */
  static void assertChain(State state, int count) {
    assertThat(state.seqs()).as("sequence numbers").isEqualTo(LongStream.rangeClosed(1, count).boxed().toList());
    assertThat(state.parents()).as("parents").isEqualTo(LongStream.range(0, count).boxed().toList());
    assertThat(state.ids()).as("the table in log order").isEqualTo(state.logIds());
  }

  static List<String> ids(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
  }

  /** The node as its own JVM, so that it can be killed with SIGKILL and restarted on its data dir and port. */
  private static final class NodeProcess {
    private final Path dataDir;
    private final int httpPort;
    final NodeHttp http;
    private Process process;

    NodeProcess(Path dataDir, int httpPort) {
      this.dataDir = dataDir;
      this.httpPort = httpPort;
      this.http = new NodeHttp(() -> httpPort, Duration.ofSeconds(10));
    }

    String url() {
      return "ws://127.0.0.1:" + httpPort + "/livestore";
    }

    void start() throws IOException, InterruptedException {
      ProcessBuilder builder = SingleNodeProcess.builder(dataDir, httpPort);
      builder.environment().put("LAKESHARD_LIVESTORE_AUTH_TOKEN", AUTH_TOKEN);
      builder.environment().put("LAKESHARD_LIVESTORE_HOOKS", TestLiveStoreHook.class.getName());
      builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("node.log").toFile()));
      process = builder.start();
      Await.until("the node serves /health", Duration.ofSeconds(90), () -> {
        assertThat(process.isAlive()).as("node process alive while starting (see %s)", dataDir.resolve("node.log")).isTrue();
        try {
          return http.withTimeout(Duration.ofSeconds(2)).get("/health", null).statusCode() == 200;
        } catch (IOException notYet) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      });
    }

    /** SIGKILL: nothing is flushed or handed off. */
    void kill() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
