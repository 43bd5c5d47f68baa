package io.lakeshard.node;

import static io.lakeshard.node.LiveStoreTestClient.JSON;
import static io.lakeshard.node.LiveStoreTestClient.pullPayload;
import static io.lakeshard.node.LiveStoreTestClient.pushPayload;
import static io.lakeshard.node.LiveStoreTestClient.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * LiveStore's sync protocol over a real node's WebSocket and HTTP transports, with frames as
 * {@code @livestore/sync-cf} 0.4.0's client writes them; the node requires a static token and runs
 * {@link TestLiveStoreHook}. One node for the class; every test uses its own store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveStoreNodeTest {
  static final String TOKEN = "livestore-test-token";
  static final String PAYLOAD = "{\"authToken\":\"" + TOKEN + "\"}";
  LakeshardNode node;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    node = TestNode.start(dataDir, Map.of(
        "lakeshard.livestore.auth-token", TOKEN,
        "lakeshard.livestore.hooks", TestLiveStoreHook.class.getName()));
  }

  @AfterAll
  void stopNode() {
    node.stop().toCompletableFuture().join();
  }

  LiveStoreTestClient connect(String storeId) {
    return LiveStoreTestClient.connect(node.httpPort(), storeId, PAYLOAD);
  }

  /** A live pull with id {@code id} from the start, its catch-up answered (an empty store: one empty chunk). */
  static void livePull(LiveStoreTestClient client, String storeId, String id) throws Exception {
    client.send(request(id, "SyncWsRpc.Pull", pullPayload(storeId, PAYLOAD, true)));
    JsonNode chunk = client.next();
    assertThat(chunk.path("_tag").asText()).isEqualTo("Chunk");
    assertThat(chunk.at("/values/0/pageInfo/_tag").asText()).isEqualTo("NoMore");
  }

  HttpResponse<String> post(String query, String body) throws Exception {
    return post("/livestore", query, body);
  }

  HttpResponse<String> post(String path, String query, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path + query))
        .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The messages of one HTTP transport request. */
  JsonNode httpRpc(String storeId, String id, String tag, String payload) throws Exception {
    HttpResponse<String> response = post(LiveStoreTestClient.query(storeId, PAYLOAD, "http"), request(id, tag, payload));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode messages = JSON.readTree(response.body());
    assertThat(messages.isArray()).isTrue();
    return messages;
  }

  /** The store's head, read with an HTTP pull of everything. */
  long head(String storeId) throws Exception {
    long head = 0;
    for (JsonNode message : httpRpc(storeId, "h", "SyncHttpRpc.Pull",
        "{\"storeId\":\"" + storeId + "\",\"payload\":" + PAYLOAD + ",\"cursor\":{\"_tag\":\"None\"}}")) {
      for (JsonNode item : message.at("/values/0/batch")) {
        head = item.at("/eventEncoded/seqNum").asLong();
      }
    }
    return head;
  }

  /** The store still serves: a good push continuing its head is accepted (over HTTP). */
  void assertStoreServes(String storeId) throws Exception {
    long head = head(storeId);
    JsonNode exit = httpRpc(storeId, "g", "SyncHttpRpc.Push", pushPayload(storeId, PAYLOAD, head + 1, head + 1,
        "v1.TodoCreated")).get(0);
    assertThat(exit.path("exit").toString()).isEqualTo("{\"_tag\":\"Success\",\"value\":{}}");
    assertThat(head(storeId)).isEqualTo(head + 1);
  }

  static void assertExitSuccess(JsonNode message, String id) {
    assertThat(message.path("_tag").asText()).isEqualTo("Exit");
    assertThat(message.path("requestId").asText()).isEqualTo(id);
    assertThat(message.path("exit").toString()).isEqualTo("{\"_tag\":\"Success\",\"value\":{}}");
  }

  static JsonNode failure(JsonNode message, String id) {
    assertThat(message.path("_tag").asText()).as(message.toString()).isEqualTo("Exit");
    assertThat(message.path("requestId").asText()).isEqualTo(id);
    assertThat(message.at("/exit/_tag").asText()).isEqualTo("Failure");
    assertThat(message.at("/exit/cause/_tag").asText()).isEqualTo("Fail");
    return message.at("/exit/cause/error");
  }

  @Test
  void pingIsAnsweredWithExactlyPong() throws Exception {
    LiveStoreTestClient client = connect("ls-ping");
    client.send("{\"_tag\":\"Ping\"}");
    assertThat(client.next().toString()).isEqualTo("{\"_tag\":\"Pong\"}");
  }

  /** The pusher gets its echo on its live pull before its push's Exit; the other socket gets the chunk too. */
  @Test
  void aPushIsEchoedToEveryLivePullBeforeItsExit() throws Exception {
    String store = "ls-fanout";
    LiveStoreTestClient alice = connect(store);
    LiveStoreTestClient bob = connect(store);
    livePull(alice, store, "0");
    livePull(bob, store, "0");

    alice.send(request("1", "SyncWsRpc.Push", pushPayload(store, PAYLOAD, 1, 2, "v1.TodoCreated")));
    JsonNode echo = alice.next();
    assertThat(echo.path("_tag").asText()).isEqualTo("Chunk");
    assertThat(echo.path("requestId").asText()).isEqualTo("0");
    assertThat(echo.at("/values/0/batch/0/eventEncoded")).isEqualTo(JSON.readTree(LiveStoreTestClient.event(1,
        "v1.TodoCreated")));
    assertThat(echo.at("/values/0/batch/1/eventEncoded/seqNum").asLong()).isEqualTo(2);
    assertThat(echo.at("/values/0/batch/0/metadata/value/createdAt").asText()).matches(
        "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    assertThat(echo.at("/values/0/pageInfo/_tag").asText()).isEqualTo("NoMore");
    assertExitSuccess(alice.next(), "1");

    JsonNode fanOut = bob.next();
    assertThat(fanOut.path("requestId").asText()).isEqualTo("0");
    assertThat(fanOut.at("/values/0/batch").size()).isEqualTo(2);
    assertThat(fanOut.at("/values/0/backendId").asText()).isEqualTo(echo.at("/values/0/backendId").asText())
        .hasSize(21);

    // Bob pushes on the old head: ServerAheadError{minimumExpectedNum: head, providedNum: his parent}.
    bob.send(request("5", "SyncWsRpc.Push", pushPayload(store, PAYLOAD, 1, 1, "v1.TodoCreated")));
    assertThat(failure(bob.next(), "5").toString())
        .isEqualTo("{\"_tag\":\"ServerAheadError\",\"minimumExpectedNum\":2,\"providedNum\":0}");
  }

  /** 250 events: 100 (MoreKnown 150), 100 (MoreKnown 50), 50 (NoMore), each after the Ack of the one before. */
  @Test
  void twoHundredFiftyEventsPaginateAfterAcks() throws Exception {
    String store = "ls-pages";
    LiveStoreTestClient pusher = connect(store);
    for (int batch = 0; batch < 3; batch++) {
      long from = batch * 100L + 1;
      pusher.send(request("p" + batch, "SyncWsRpc.Push",
          pushPayload(store, PAYLOAD, from, Math.min(from + 99, 250), "v1.TodoCreated")));
      assertExitSuccess(pusher.next(), "p" + batch);
    }
    LiveStoreTestClient reader = connect(store);
    reader.send(request("7", "SyncWsRpc.Pull", pullPayload(store, PAYLOAD, false)));
    long[] sizes = {100, 100, 50};
    String[] pageInfos = {"{\"_tag\":\"MoreKnown\",\"remaining\":150}", "{\"_tag\":\"MoreKnown\",\"remaining\":50}",
        "{\"_tag\":\"NoMore\"}"};
    long expected = 1;
    for (int page = 0; page < 3; page++) {
      JsonNode chunk = reader.next();
      assertThat(chunk.path("requestId").asText()).isEqualTo("7");
      assertThat(chunk.at("/values/0/batch").size()).isEqualTo(sizes[page]);
      assertThat(chunk.at("/values/0/pageInfo").toString()).isEqualTo(pageInfos[page]);
      for (JsonNode item : chunk.at("/values/0/batch")) {
        assertThat(item.at("/eventEncoded/seqNum").asLong()).isEqualTo(expected++);
      }
      reader.send("{\"_tag\":\"Ack\",\"requestId\":\"7\"}");
    }
    assertThat(reader.next().toString())
        .isEqualTo("{\"_tag\":\"Exit\",\"requestId\":\"7\",\"exit\":{\"_tag\":\"Success\"}}");
  }

  @Test
  void theHttpTransportPushesPullsAndPings() throws Exception {
    String store = "ls-http";
    JsonNode pong = httpRpc(store, "1", "SyncHttpRpc.Ping", "{\"storeId\":\"" + store + "\",\"payload\":" + PAYLOAD + "}");
    assertThat(pong.toString()).isEqualTo(
        "[{\"_tag\":\"Exit\",\"requestId\":\"1\",\"exit\":{\"_tag\":\"Success\",\"value\":{\"_tag\":\"SyncMessage.Pong\"}}}]");
    JsonNode pushed = httpRpc(store, "2", "SyncHttpRpc.Push", pushPayload(store, PAYLOAD, 1, 3, "v1.TodoCreated"));
    assertThat(pushed.size()).isEqualTo(1);
    assertExitSuccess(pushed.get(0), "2");
    JsonNode pulled = httpRpc(store, "3", "SyncHttpRpc.Pull", "{\"storeId\":\"" + store + "\",\"payload\":" + PAYLOAD
        + ",\"cursor\":{\"_tag\":\"Some\",\"value\":{\"backendId\":\"" + backendId(store)
        + "\",\"eventSequenceNumber\":1}}}");
    assertThat(pulled.size()).isEqualTo(2);
    assertThat(pulled.get(0).at("/values/0/batch").size()).isEqualTo(2);
    assertThat(pulled.get(0).at("/values/0/batch/0/eventEncoded/seqNum").asLong()).isEqualTo(2);
    assertThat(pulled.get(1).path("exit").toString()).isEqualTo("{\"_tag\":\"Success\"}");
    // A cursor of another backend: BackendIdMismatchError.
    JsonNode mismatch = httpRpc(store, "4", "SyncHttpRpc.Pull", "{\"storeId\":\"" + store + "\",\"payload\":" + PAYLOAD
        + ",\"cursor\":{\"_tag\":\"Some\",\"value\":{\"backendId\":\"other\",\"eventSequenceNumber\":1}}}");
    assertThat(failure(mismatch.get(0), "4").path("_tag").asText()).isEqualTo("BackendIdMismatchError");
  }

  String backendId(String store) throws Exception {
    return httpRpc(store, "b", "SyncHttpRpc.Pull", "{\"storeId\":\"" + store + "\",\"payload\":" + PAYLOAD
        + ",\"cursor\":{\"_tag\":\"None\"}}").get(0).at("/values/0/backendId").asText();
  }

  @Test
  void aWrongOrMissingTokenIsRefusedAtTheUpgradeWith400CodeMessage() throws Exception {
    HttpResponse<String> wrong = get("/livestore" + LiveStoreTestClient.query("ls-auth", "{\"authToken\":\"nope\"}", "ws"));
    assertThat(wrong.statusCode()).isEqualTo(400);
    assertThat(wrong.body()).startsWith("TOKEN_INVALID: ");
    HttpResponse<String> missing = get("/livestore" + LiveStoreTestClient.query("ls-auth", null, "ws"));
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).startsWith("TOKEN_MISSING: ");
    assertThatThrownBy(() -> LiveStoreTestClient.connect(node.httpPort(), "ls-auth", "{\"authToken\":\"nope\"}"))
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(WebSocketHandshakeException.class)
        .satisfies(failed -> assertThat(((WebSocketHandshakeException) failed.getCause()).getResponse().statusCode())
            .isEqualTo(400));
    // The right token: served (also on /v1/livestore).
    HttpResponse<String> right = post("/v1/livestore", LiveStoreTestClient.query("ls-auth", PAYLOAD, "http"),
        request("1", "SyncHttpRpc.Ping", "{\"storeId\":\"ls-auth\"}"));
    assertThat(right.statusCode()).isEqualTo(200);
  }

  @Test
  void aFailingOrThrowingHookRefusesOnlyThatRequest() throws Exception {
    String store = "ls-hook";
    LiveStoreTestClient client = connect(store);
    client.send(request("1", "SyncWsRpc.Push", pushPayload(store, PAYLOAD, 1, 1, "hook.refuse")));
    JsonNode refused = failure(client.next(), "1");
    assertThat(refused.path("_tag").asText()).isEqualTo("UnknownError");
    assertThat(refused.path("cause").asText()).startsWith("HOOK_REFUSED: ");
    client.send(request("2", "SyncWsRpc.Push", pushPayload(store, PAYLOAD, 1, 1, "hook.throw")));
    assertThat(failure(client.next(), "2").path("note").asText()).isEqualTo("HOOK_REFUSED");
    client.send(request("3", "SyncWsRpc.Push", pushPayload(store, PAYLOAD, 1, 1, "v1.TodoCreated")));
    assertExitSuccess(client.next(), "3");

    LiveStoreTestClient refusedPuller = LiveStoreTestClient.connect(node.httpPort(), store,
        "{\"authToken\":\"" + TOKEN + "\",\"refusePull\":true}");
    refusedPuller.send(request("0", "SyncWsRpc.Pull", pullPayload(store, PAYLOAD, true)));
    assertThat(failure(refusedPuller.next(), "0").path("note").asText()).isEqualTo("HOOK_REFUSED");
    assertStoreServes(store);
  }
}
