package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.Action;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.ActionResponse;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node with a handler registered through config: actions over HTTP and WebSocket. */
class ActionsHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(30));
  /** Action ids unique to this test, as the handler counts runs in the JVM. */
  private final String prefix = UUID.randomUUID() + "-";

  @BeforeEach
  void startNode() {
    node = TestNode.start(dataDir, Map.of("lakeshard.actions.handlers", List.of(TestActionHandler.class.getName())));
  }

  @AfterEach
  void stopNode() {
    node.stop().toCompletableFuture().join();
  }

  static String action(String actionId, String type, String title, String idempotencyKey) {
    return "{\"actionId\":\"" + actionId + "\",\"clientId\":\"alice\",\"hlc\":\"" + NodeHttp.hlcNow(0)
        + "\",\"connector\":\"tickets\",\"actionType\":\"" + type + "\",\"params\":{\"title\":\"" + title + "\"}"
        + (idempotencyKey == null ? "" : ",\"idempotencyKey\":\"" + idempotencyKey + "\"") + "}";
  }

  static String actions(String clientId, String... actions) {
    return "{\"clientId\":\"" + clientId + "\",\"actions\":[" + String.join(",", actions) + "]}";
  }

  private HttpResponse<String> post(String body) throws Exception {
    return http.post("/v1/sync/gw1/action", TestNode.token("alice", "gw1", Map.of("org", "acme")), body);
  }

  private static JsonNode ok(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  @Test
  void eachActionGetsItsResultOrItsError() throws Exception {
    JsonNode body = ok(post(actions("alice", action(prefix + "1", "create", "printer", null),
        action(prefix + "2", "close", "printer", null), action(prefix + "3", "archive", "x", null))));
    JsonNode results = body.get("results");
    assertThat(results).hasSize(3);

    JsonNode created = results.get(0);
    assertThat(created.get("actionId").asText()).isEqualTo(prefix + "1");
    assertThat(created.get("data").get("title").asText()).isEqualTo("printer");
    assertThat(created.get("data").get("by").asText()).as("the token's sub").isEqualTo("alice");
    assertThat(created.get("data").get("gateway").asText()).isEqualTo("gw1");
    assertThat(created.get("data").get("org").asText()).as("the token's custom claim").isEqualTo("acme");
    assertThat(Long.parseUnsignedLong(created.get("serverHlc").asText())).isPositive();

    assertThat(results.get(1).get("code").asText()).isEqualTo("TICKET_LOCKED");
    assertThat(results.get(1).get("message").asText()).isEqualTo("ticket is locked");
    assertThat(results.get(1).get("retryable").asBoolean()).isFalse();
    assertThat(results.get(2).get("code").asText()).isEqualTo("ACTION_NOT_SUPPORTED");
    assertThat(Long.parseUnsignedLong(body.get("serverHlc").asText()))
        .isGreaterThan(Long.parseUnsignedLong(created.get("serverHlc").asText()));
  }

  @Test
  void aRepeatedIdempotencyKeyRunsOnceAndGetsTheFirstAnswer() throws Exception {
    JsonNode first = ok(post(actions("alice", action(prefix + "1", "create", "first", "key-1")))).get("results").get(0);
    JsonNode again = ok(post(actions("alice", action(prefix + "2", "create", "second", "key-1")))).get("results").get(0);
    JsonNode retried = ok(post(actions("alice", action(prefix + "1", "create", "first", null)))).get("results").get(0);
    assertThat(again).isEqualTo(first);
    assertThat(retried).isEqualTo(first);
    assertThat(TestActionHandler.runs(prefix + "1")).isEqualTo(1);
    assertThat(TestActionHandler.runs(prefix + "2")).isZero();
  }

  @Test
  void answersOutliveTheNode() throws Exception {
    JsonNode first = ok(post(actions("alice", action(prefix + "1", "create", "kept", "key-kept")))).get("results").get(0);
    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir, Map.of("lakeshard.actions.handlers", TestActionHandler.class.getName()));
    JsonNode again = ok(post(actions("alice", action(prefix + "2", "create", "kept", "key-kept")))).get("results").get(0);
    assertThat(again).isEqualTo(first);
    assertThat(TestActionHandler.runs(prefix + "2")).isZero();
  }

  @Test
  void theCatalogueListsTheHandlersActions() throws Exception {
    JsonNode body = ok(http.get("/v1/sync/gw1/actions", TestNode.token("bob", "gw1")));
    JsonNode tickets = body.get("connectors").get("tickets");
    assertThat(tickets).hasSize(2);
    assertThat(tickets.get(0).get("actionType").asText()).isEqualTo("create");
    assertThat(tickets.get(0).get("description").asText()).isEqualTo("opens a ticket");
    assertThat(tickets.get(0).get("paramsSchema").get("type").asText()).isEqualTo("object");
    assertThat(tickets.get(1).has("paramsSchema")).isFalse();
  }

  @Test
  void aMalformedActionRefusesThePushAndNothingRuns() throws Exception {
    String good = action(prefix + "1", "create", "t", null);
    String noId = good.replace("\"actionId\":\"" + prefix + "1\"", "\"actionId\":\"\"");
    String numericHlc = action(prefix + "2", "create", "t", null).replaceFirst("\"hlc\":\"(\\d+)\"", "\"hlc\":$1");
    String arrayParams = action(prefix + "3", "create", "t", null).replace("{\"title\":\"t\"}", "[1]");
    String keyless = action(prefix + "4", "create", "t", null);
    String numericKey = keyless.substring(0, keyless.length() - 1) + ",\"idempotencyKey\":5}";
    for (String body : List.of("not json", "{\"clientId\":\"alice\"}", "{\"actions\":[]}",
        actions("alice", good, noId), actions("alice", good, numericHlc), actions("alice", good, arrayParams),
        actions("alice", good, numericKey), actions("alice", good, "null"))) {
      HttpResponse<String> response = post(body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(response.body()).as(body).contains("\"VALIDATION_ERROR\"");
    }
    assertThat(TestActionHandler.runs(prefix + "1")).as("validated before any runs").isZero();
  }

  @Test
  void anEmptyPushIsAnsweredWithNoResults() throws Exception {
    JsonNode body = ok(post(actions("alice")));
    assertThat(body.get("results")).isEmpty();
    assertThat(Long.parseUnsignedLong(body.get("serverHlc").asText())).isPositive();
  }

  @Test
  void onlyTheGatewaysClientMayActAsItself() throws Exception {
    String body = actions("alice", action(prefix + "1", "create", "t", null));
    assertThat(http.post("/v1/sync/gw1/action", null, body).statusCode()).isEqualTo(401);
    assertThat(http.post("/v1/sync/gw1/action", "not-a-jwt", body).statusCode()).isEqualTo(401);
    assertThat(http.post("/v1/sync/gw1/action", TestNode.token("alice", "gw2"), body).statusCode()).isEqualTo(403);
    assertThat(http.post("/v1/sync/gw1/action", TestNode.token("mallory", "gw1"), body).statusCode()).isEqualTo(403);
    assertThat(http.get("/v1/sync/gw1/actions", null).statusCode()).isEqualTo(401);
    assertThat(http.get("/v1/sync/gw1/actions", TestNode.token("alice", "gw2")).statusCode()).isEqualTo(403);
    assertThat(TestActionHandler.runs(prefix + "1")).isZero();
  }

  @Test
  void anActionFrameOverTheWebSocketGetsATaggedActionResponse() throws Exception {
    TestWebSocketClient alice = TestWebSocketClient.connect(node.httpPort(), "gw1", "alice");
    ActionPush push = ActionPush.newBuilder().setClientId("alice").addActions(Action.newBuilder()
        .setActionId(prefix + "ws").setClientId("alice").setHlc(NodeHttp.hlcNow(0)).setConnector("tickets")
        .setActionType("create").setParams(ByteString.copyFromUtf8("{\"title\":\"over ws\"}"))
        .setIdempotencyKey("ws-key")).build();
    alice.send(Frames.encodeActionPush(push));
    byte[] frame = alice.next();
    assertThat(frame[0]).isEqualTo(Frames.TAG_ACTION_RESPONSE);
    ActionResponse response = ActionResponse.parseFrom(Arrays.copyOfRange(frame, 1, frame.length));
    assertThat(response.getResultsList()).hasSize(1);
    JsonNode data = JSON.readTree(response.getResults(0).getSuccess().getData().toString(StandardCharsets.UTF_8));
    assertThat(data.get("title").asText()).isEqualTo("over ws");

    // The same service: the HTTP repeat of the key gets the WebSocket's answer.
    JsonNode again = ok(post(actions("alice", action(prefix + "http", "create", "over http", "ws-key"))))
        .get("results").get(0);
    assertThat(again.get("data").get("title").asText()).isEqualTo("over ws");

    alice.send(Frames.encodeActionPush(push.toBuilder().setClientId("mallory").build()));
    assertThat(alice.closed.get(10, TimeUnit.SECONDS)).as("another client's push").isEqualTo(1008);
  }
}
