package io.lakeshard.node;

import static io.lakeshard.node.LiveStoreTestClient.JSON;
import static io.lakeshard.node.LiveStoreTestClient.pullPayload;
import static io.lakeshard.node.LiveStoreTestClient.pushPayload;
import static io.lakeshard.node.LiveStoreTestClient.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * LiveStore's sync protocol over a real node's WebSocket and HTTP transports; every test uses its
 * own store.
 */
class LiveStoreNodeTest extends LiveStoreTestBase {
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
