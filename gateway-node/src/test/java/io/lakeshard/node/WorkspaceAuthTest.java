package io.lakeshard.node;

import static io.lakeshard.node.LiveStoreTestClient.JSON;
import static io.lakeshard.node.LiveStoreTestClient.pullPayload;
import static io.lakeshard.node.LiveStoreTestClient.pushPayload;
import static io.lakeshard.node.LiveStoreTestClient.request;
import static io.lakeshard.node.NodeHttp.assertError;
import static io.lakeshard.node.WorkspaceJwts.claims;
import static io.lakeshard.node.WorkspaceJwts.hs256;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jwt.JWTClaimsSet;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workspace auth on a real node (LAKESHARD_WORKSPACE_AUTH=on, a grace of one hour, a server
 * bypass secret): each attack of issue 14 refused with its code and the store's data untouched,
 * on the LiveStore transports (400 {@code CODE: message} at the upgrade and per HTTP request) and
 * the LakeSync routes (401/403 JSON); what must pass passes; open sockets are cut on a bump.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkspaceAuthTest {
  static final String BYPASS = "server-bypass-secret-of-the-tests";
  private static final String STORE = "ws-store";
  LakeshardNode node;
  NodeHttp http;

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    node = TestNode.start(dataDir, Map.of(
        "lakeshard.workspace.auth", "on",
        "lakeshard.workspace.grace", "3600",
        "lakeshard.workspace.server-bypass-token", BYPASS));
    http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
  }

  @AfterAll
  void stopNode() {
    node.stop().toCompletableFuture().join();
  }

  static String token(String userId, Map<String, String> roles, long version, Instant exp) {
    return hs256(TestNode.SECRET, claims(userId, roles, version, exp).build());
  }

  static String payload(String instanceId, String field, String value) {
    ObjectNode payload = JSON.createObjectNode();
    if (instanceId != null) {
      payload.put("instanceId", instanceId);
    }
    payload.put(field, value);
    return payload.toString();
  }

  static String bypass(String storeId) {
    return payload(storeId, "serverBypass", BYPASS);
  }

  /** LiveStore over HTTP: one request with this payload. */
  HttpResponse<String> liveStore(String storeId, String payload, String body) throws Exception {
    return http.send("POST", "/livestore" + LiveStoreTestClient.query(storeId, payload, "http"), "application/json", body);
  }

  HttpResponse<String> push(String storeId, String payload, long seqNum) throws Exception {
    return liveStore(storeId, payload, request("p", "SyncHttpRpc.Push", pushPayload(storeId, payload, seqNum, seqNum,
        "v1.TodoCreated")));
  }

  /** The store's head, read as the server (bypass). */
  long head(String storeId) throws Exception {
    HttpResponse<String> pulled = liveStore(storeId, bypass(storeId), request("h", "SyncHttpRpc.Pull",
        "{\"storeId\":\"" + storeId + "\",\"payload\":" + bypass(storeId) + ",\"cursor\":{\"_tag\":\"None\"}}"));
    assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
    long head = 0;
    for (JsonNode message : JSON.readTree(pulled.body())) {
      for (JsonNode item : message.at("/values/0/batch")) {
        head = item.at("/eventEncoded/seqNum").asLong();
      }
    }
    return head;
  }

  /** Refused with {@code code} at the WebSocket upgrade and over HTTP, and nothing reached the store. */
  void assertRefused(String storeId, String payload, String code) throws Exception {
    long head = head(storeId);
    HttpResponse<String> upgrade = http.get("/livestore" + LiveStoreTestClient.query(storeId, payload, "ws"), null);
    assertThat(upgrade.statusCode()).as(upgrade.body()).isEqualTo(400);
    assertThat(upgrade.body()).startsWith(code + ": ");
    HttpResponse<String> pushed = push(storeId, payload, head + 1);
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(400);
    assertThat(pushed.body()).startsWith(code + ": ");
    assertThat(head(storeId)).as("the store's data untouched").isEqualTo(head);
  }

  void assertAccepted(String storeId, String payload) throws Exception {
    long head = head(storeId);
    HttpResponse<String> pushed = push(storeId, payload, head + 1);
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
    assertThat(JSON.readTree(pushed.body()).get(0).path("exit").toString()).isEqualTo("{\"_tag\":\"Success\",\"value\":{}}");
    assertThat(head(storeId)).isEqualTo(head + 1);
  }

  HttpResponse<String> raise(String userId, long version) throws Exception {
    HttpResponse<String> raised = http.post("/v1/admin/claims-version/" + userId, BYPASS, "{\"version\":" + version + "}");
    assertThat(raised.statusCode()).as(raised.body()).isEqualTo(200);
    return raised;
  }

  private static JWTClaimsSet memberClaims(String userId, String storeId) {
    return claims(userId, Map.of(storeId, "member"), 0, Instant.now().plusSeconds(600)).build();
  }

  @Test
  void forgedTokensAreInvalid() throws Exception {
    JWTClaimsSet good = memberClaims("mallory", STORE);
    assertRefused(STORE, payload(STORE, "authToken", WorkspaceJwts.none(good)), "TOKEN_INVALID");
    assertRefused(STORE, payload(STORE, "authToken", WorkspaceJwts.hs512(TestNode.SECRET, good)), "TOKEN_INVALID");
    assertRefused(STORE, payload(STORE, "authToken", WorkspaceJwts.rs256(good)), "TOKEN_INVALID");
    assertRefused(STORE, payload(STORE, "authToken", hs256("not-the-node-secret-not-the-node-secret", good)),
        "TOKEN_INVALID");
    assertRefused(STORE, payload(STORE, "authToken", hs256(TestNode.SECRET,
        claims("mallory", Map.of(STORE, "member"), 0, null).build())), "TOKEN_INVALID");
    assertRefused(STORE, payload(STORE, "authToken", hs256(TestNode.SECRET,
        new JWTClaimsSet.Builder(good).claim("workspaces", null).build())), "TOKEN_INVALID");
    assertRefused(STORE, payload(STORE, "authToken", hs256(TestNode.SECRET,
        new JWTClaimsSet.Builder(good).claim("workspaceClaimsVersion", null).build())), "TOKEN_INVALID");
    assertRefused(STORE, "{\"instanceId\":\"" + STORE + "\"}", "TOKEN_MISSING");
  }

  @Test
  void theGraceLetsAnExpiredTokenInForAnHourOnly() throws Exception {
    assertRefused(STORE, payload(STORE, "authToken",
        token("olive", Map.of(STORE, "member"), 0, Instant.now().minus(Duration.ofHours(2)))), "GRACE_PERIOD_EXPIRED");
    assertAccepted(STORE, payload(STORE, "authToken",
        token("olive", Map.of(STORE, "member"), 0, Instant.now().minus(Duration.ofMinutes(30)))));
  }

  @Test
  void theWorkspaceMustBeTheStoreAndListed() throws Exception {
    String elsewhere = token("nina", Map.of("other-ws", "owner"), 0, Instant.now().plusSeconds(600));
    assertRefused(STORE, payload(STORE, "authToken", elsewhere), "FORBIDDEN");
    String member = token("nina", Map.of(STORE, "member", "other-ws", "owner"), 0, Instant.now().plusSeconds(600));
    assertRefused(STORE, payload("other-ws", "authToken", member), "FORBIDDEN");
    assertRefused(STORE, payload(null, "authToken", member), "TOKEN_MISSING");
    assertAccepted(STORE, payload(STORE, "authToken", member));
  }

  @Test
  void aStaleClaimsVersionIsRefused() throws Exception {
    raise("stan", 2);
    assertRefused(STORE, payload(STORE, "authToken", token("stan", Map.of(STORE, "member"), 1,
        Instant.now().plusSeconds(600))), "TOKEN_VERSION_STALE");
    assertAccepted(STORE, payload(STORE, "authToken", token("stan", Map.of(STORE, "member"), 2,
        Instant.now().plusSeconds(600))));
  }

  @Test
  void onlyTheRightBypassPassesAsTheServer() throws Exception {
    assertRefused(STORE, payload(STORE, "serverBypass", "a-guess"), "TOKEN_INVALID");
    assertRefused(STORE, payload("other-ws", "serverBypass", BYPASS), "FORBIDDEN");
    assertAccepted(STORE, bypass(STORE));
  }

  /** Work Squared let everyone in as the server when its bypass secret was unset; here there is no bypass then. */
  @Test
  void withoutABypassSecretNoPayloadPassesAsTheServer(@TempDir Path dataDir) throws Exception {
    LakeshardNode plain = TestNode.start(dataDir, Map.of("lakeshard.workspace.auth", "on"));
    try {
      NodeHttp plainHttp = new NodeHttp(plain::httpPort, Duration.ofSeconds(15));
      String member = payload(STORE, "authToken", token("vic", Map.of(STORE, "member"), 0, Instant.now().plusSeconds(600)));
      for (String attempt : List.of(payload(STORE, "serverBypass", ""), payload(STORE, "serverBypass", BYPASS),
          "{\"instanceId\":\"" + STORE + "\",\"serverBypass\":null}")) {
        HttpResponse<String> refused = plainHttp.send("POST", "/livestore" + LiveStoreTestClient.query(STORE, attempt, "http"),
            "application/json", request("p", "SyncHttpRpc.Push", pushPayload(STORE, attempt, 1, 1, "v1.TodoCreated")));
        assertThat(refused.statusCode()).as(attempt).isEqualTo(400);
        assertThat(refused.body()).as(attempt).startsWith(attempt.contains("null") ? "TOKEN_MISSING: " : "TOKEN_INVALID: ");
      }
      HttpResponse<String> pulled = plainHttp.send("POST", "/livestore" + LiveStoreTestClient.query(STORE, member, "http"),
          "application/json", request("h", "SyncHttpRpc.Pull",
              "{\"storeId\":\"" + STORE + "\",\"payload\":" + member + ",\"cursor\":{\"_tag\":\"None\"}}"));
      assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
      assertThat(JSON.readTree(pulled.body()).get(0).at("/values/0/batch").size()).as("nothing was pushed").isZero();
    } finally {
      plain.stop().toCompletableFuture().join();
    }
  }

  @Test
  void gatewaysAreWorkspacesOnTheSyncAndAdminRoutes() throws Exception {
    String gateway = "ws-gateway";
    String member = token("gina", Map.of(gateway, "member"), 0, Instant.now().plusSeconds(600));
    String owner = token("owen", Map.of(gateway, "owner"), 0, Instant.now().plusSeconds(600));
    String pushBody = NodeHttp.push("gina", List.of(NodeHttp.delta("INSERT", "todos", "gina", "r1",
        NodeHttp.hlcNow(0), "[{\"column\":\"title\",\"value\":\"milk\"}]")));
    assertThat(http.post("/v1/sync/" + gateway + "/push", member, pushBody).statusCode()).isEqualTo(200);
    assertError(http.post("/v1/sync/" + gateway + "/push", null, pushBody), 401, "TOKEN_MISSING");
    assertError(http.post("/v1/sync/" + gateway + "/push", TestNode.token("gina", gateway), pushBody), 401,
        "TOKEN_INVALID");
    assertError(http.get("/v1/sync/other-gw/pull?since=0", member), 403, "FORBIDDEN");
    assertError(http.post("/v1/admin/flush/" + gateway, member, ""), 403, "FORBIDDEN");
    assertThat(NodeHttp.rowIds(http.pullAll(gateway, 100, "0", member))).containsExactly("r1");
    HttpResponse<String> flushed = http.post("/v1/admin/flush/" + gateway, owner, "");
    assertThat(flushed.statusCode()).as(flushed.body()).isEqualTo(200);
    assertThat(http.post("/v1/admin/flush/" + gateway, BYPASS, "").statusCode()).isEqualTo(200);
    assertError(http.get("/v1/admin/livestore/" + STORE, token("gina", Map.of(STORE, "member"), 0,
        Instant.now().plusSeconds(600))), 403, "FORBIDDEN");
    assertThat(http.get("/v1/admin/livestore/" + STORE, token("owen", Map.of(STORE, "admin"), 0,
        Instant.now().plusSeconds(600))).statusCode()).isEqualTo(200);
    raise("gina", 1);
    assertError(http.get("/v1/sync/" + gateway + "/pull?since=0", member), 401, "TOKEN_VERSION_STALE");
  }

  @Test
  void aSocketIsCutWhenItsTokensGraceEnds() throws Exception {
    String storeId = "ws-grace";
    // Expired nearly an hour ago: within the grace for a few more seconds, so the upgrade is accepted.
    String token = token("gus", Map.of(storeId, "member"), 0, Instant.now().minus(Duration.ofHours(1)).plusSeconds(5));
    LiveStoreTestClient client = LiveStoreTestClient.connect(node.httpPort(), storeId, payload(storeId, "authToken", token));
    assertThat(client.closed.get(20, TimeUnit.SECONDS)).isEqualTo(4001);
    assertRefused(storeId, payload(storeId, "authToken", token), "GRACE_PERIOD_EXPIRED");
  }

  @Test
  void aBumpCutsTheUsersOpenSocketsOnBothProtocols() throws Exception {
    String storeId = "ws-cut";
    String gateway = "ws-cut-gw";
    String token = token("carl", Map.of(storeId, "member", gateway, "member"), 0, Instant.now().plusSeconds(600));
    String other = token("dora", Map.of(storeId, "member"), 0, Instant.now().plusSeconds(600));
    LiveStoreTestClient liveStore = LiveStoreTestClient.connect(node.httpPort(), storeId, payload(storeId, "authToken", token));
    LiveStoreTestClient bystander = LiveStoreTestClient.connect(node.httpPort(), storeId, payload(storeId, "authToken", other));
    TestWebSocketClient lakeSync = TestWebSocketClient.connectWith(node.httpPort(), gateway, token);
    liveStore.send(request("1", "SyncWsRpc.Pull", pullPayload(storeId, payload(storeId, "authToken", token), true)));
    assertThat(liveStore.next().path("_tag").asText()).isEqualTo("Chunk");

    raise("carl", 1);
    assertThat(liveStore.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4001);
    assertThat(lakeSync.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4001);
    assertThat(bystander.closed).as("another user's socket stays open").isNotDone();
    bystander.send(request("2", "SyncWsRpc.Pull", pullPayload(storeId, payload(storeId, "authToken", other), false)));
    assertThat(bystander.next().path("_tag").asText()).isEqualTo("Chunk");
    assertRefused(storeId, payload(storeId, "authToken", token), "TOKEN_VERSION_STALE");
  }
}
