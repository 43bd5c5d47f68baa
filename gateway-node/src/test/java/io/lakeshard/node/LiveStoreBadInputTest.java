package io.lakeshard.node;

import static io.lakeshard.node.LiveStoreTestBase.PAYLOAD;
import static io.lakeshard.node.LiveStoreTestClient.event;
import static io.lakeshard.node.LiveStoreTestClient.pushPayload;
import static io.lakeshard.node.LiveStoreTestClient.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad input of issue 13 point 7 over a real node, with its answer (an Exit Failure with
 * UnknownError for a request whose id is known, a documented close code, or a 400 at the
 * upgrade); never a Defect. After each, the same store (not a restarted one) still takes a good push.
 */
class LiveStoreBadInputTest extends LiveStoreTestBase {
  private static final String STORE = "ls-bad";

  @AfterEach
  void theStoreKeepsServing() throws Exception {
    assertStoreServes(STORE);
  }

  /** Not Effect RPC at all (nothing to answer): closed 1002. */
  @ParameterizedTest
  @ValueSource(strings = {"{not json", "[1,2]", "{\"_tag\":\"Hello\"}",
      "{\"_tag\":\"Request\",\"tag\":\"SyncWsRpc.Push\",\"payload\":{}}"})
  void aMessageThatIsNotEffectRpcCloses1002(String frame) throws Exception {
    LiveStoreTestClient client = connect(STORE);
    client.send(frame);
    assertThat(client.closeCode()).isEqualTo(1002);
  }

  /** Wrong types, unknown tags, another store: Exit Failure UnknownError, and the socket stays open. */
  @ParameterizedTest
  @ValueSource(strings = {
      "SyncWsRpc.Nope|{\"storeId\":\"ls-bad\"}",
      "SyncWsRpc.Push|{\"storeId\":\"ls-bad\",\"batch\":[{\"name\":\"n\",\"seqNum\":1.5,\"parentSeqNum\":0,\"clientId\":\"c\",\"sessionId\":\"s\"}],\"backendId\":{\"_tag\":\"None\"}}",
      "SyncWsRpc.Push|{\"storeId\":\"ls-bad\",\"batch\":[{\"name\":\"n\",\"seqNum\":\"1\",\"parentSeqNum\":0,\"clientId\":\"c\",\"sessionId\":\"s\"}],\"backendId\":{\"_tag\":\"None\"}}",
      "SyncWsRpc.Push|{\"storeId\":\"ls-other\",\"batch\":[],\"backendId\":{\"_tag\":\"None\"}}",
      "SyncWsRpc.Pull|{\"storeId\":\"ls-bad\",\"live\":\"yes\",\"cursor\":{\"_tag\":\"None\"}}",
      "SyncHttpRpc.Ping|{\"storeId\":\"ls-bad\"}"})
  void aBadRequestGetsAnUnknownErrorAndTheSocketServesOn(String tagAndPayload) throws Exception {
    String[] parts = tagAndPayload.split("\\|", 2);
    LiveStoreTestClient client = connect(STORE);
    client.send(request("9", parts[0], parts[1]));
    JsonNode error = failure(client.next(), "9");
    assertThat(error.path("_tag").asText()).isEqualTo("UnknownError");
    assertThat(error.path("note").asText()).isIn("INVALID_REQUEST", "INVALID_PUSH", "INVALID_PULL");
    client.send("{\"_tag\":\"Ping\"}");
    assertThat(client.next().toString()).isEqualTo("{\"_tag\":\"Pong\"}");
  }

  @Test
  void aPushOfMoreThan100EventsIsAnInvalidPush() throws Exception {
    LiveStoreTestClient client = connect(STORE);
    long head = head(STORE);
    client.send(request("3", "SyncWsRpc.Push", pushPayload(STORE, PAYLOAD, head + 1, head + 101, "v1.TodoCreated")));
    JsonNode error = failure(client.next(), "3");
    assertThat(error.path("note").asText()).isEqualTo("INVALID_PUSH");
    assertThat(error.path("cause").asText()).contains("101 events");
  }

  @Test
  void aMessageOver900000BytesCloses1009() throws Exception {
    LiveStoreTestClient client = connect(STORE);
    String big = "{\"storeId\":\"ls-bad\",\"batch\":[" + event(1, "x".repeat(900_001)) + "],\"backendId\":{\"_tag\":\"None\"}}";
    client.send(request("4", "SyncWsRpc.Push", big));
    assertThat(client.closeCode()).isEqualTo(1009);
  }

  @Test
  void aMessageOver900000BytesInFragmentsCloses1009AndOneWithinInFragmentsIsAnswered() throws Exception {
    LiveStoreTestClient client = connect(STORE);
    client.sendInFragments("{\"_tag\":\"Ping\"}", 3);
    assertThat(client.next().toString()).isEqualTo("{\"_tag\":\"Pong\"}");
    String big = "{\"storeId\":\"ls-bad\",\"batch\":[" + event(1, "x".repeat(900_001)) + "],\"backendId\":{\"_tag\":\"None\"}}";
    client.sendInFragments(request("4", "SyncWsRpc.Push", big), 10);
    assertThat(client.closeCode()).isEqualTo(1009);
  }

  @Test
  void theUpgradeRefusesMissingOrInvalidStoreIdsAndPayloads() throws Exception {
    HttpResponse<String> noParams = get("/livestore");
    assertThat(noParams.statusCode()).isEqualTo(400);
    assertThat(noParams.body()).isEqualTo("Invalid path");
    assertThat(get("/livestore?payload=x&transport=ws").body()).isEqualTo("Invalid path");
    for (String storeId : new String[] {"a/b", "", "x".repeat(129), "ü"}) {
      HttpResponse<String> invalid = get("/livestore?storeId=" + URLEncoder.encode(storeId,
          StandardCharsets.UTF_8) + "&transport=ws");
      assertThat(invalid.statusCode()).isEqualTo(400);
      assertThat(invalid.body()).startsWith("INVALID_STORE_ID: ");
    }
    HttpResponse<String> notJson = get("/livestore" + LiveStoreTestClient.query(STORE, "{oops", "ws"));
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).startsWith("INVALID_PAYLOAD: ");
    // A good query without a WebSocket upgrade: 426, as LiveStore's worker answers.
    HttpResponse<String> noUpgrade = get("/livestore" + LiveStoreTestClient.query(STORE, PAYLOAD, "ws"));
    assertThat(noUpgrade.statusCode()).isEqualTo(426);
  }

  @Test
  void aBadHttpBodyIs400AndABadRequestAnUnknownError() throws Exception {
    HttpResponse<String> notJson = post(LiveStoreTestClient.query(STORE, PAYLOAD, "http"), "{nope");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).startsWith("INVALID_REQUEST: ");
    JsonNode wrongTag = httpRpc(STORE, "5", "SyncWsRpc.Push", "{\"storeId\":\"ls-bad\"}");
    assertThat(failure(wrongTag.get(0), "5").path("note").asText()).isEqualTo("INVALID_REQUEST");
  }
}
