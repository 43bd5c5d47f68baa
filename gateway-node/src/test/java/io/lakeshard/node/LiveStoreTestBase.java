package io.lakeshard.node;

import static io.lakeshard.node.LiveStoreTestClient.JSON;
import static io.lakeshard.node.LiveStoreTestClient.pullPayload;
import static io.lakeshard.node.LiveStoreTestClient.pushPayload;
import static io.lakeshard.node.LiveStoreTestClient.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real node for a LiveStore test class, requiring a static token and running {@link
 * TestLiveStoreHook}, and the requests the tests make of it: WebSocket clients ({@link
 * LiveStoreTestClient}) and HTTP transport calls, with frames as {@code @livestore/sync-cf}
 * 0.4.0's client writes them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LiveStoreTestBase {
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
}
