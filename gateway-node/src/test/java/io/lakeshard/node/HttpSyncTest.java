package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.assertError;
import static io.lakeshard.node.NodeHttp.hlcNow;
import static io.lakeshard.node.NodeHttp.push;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.node.auth.JwtAuth;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A real node over real HTTP: push, pull, auth and bad input. */
class HttpSyncTest extends NodeTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));

  private static String delta(String op, String client, String row, long hlc, String columnsJson) {
    return NodeHttp.delta(op, "todos", client, row, hlc, columnsJson);
  }

  @Test
  void pushedDeltasComeBackFromPullWithTheirValues() throws Exception {
    String token = TestNode.token("alice", "gw1");
    HttpResponse<String> pushed = http.post("/v1/sync/gw1/push", token, push("alice", List.of(
        delta("INSERT", "alice", "1", hlcNow(0), "[{\"column\":\"title\",\"value\":\"milk\"},{\"column\":\"n\",\"value\":{\"a\":[1,2]}}]"))));
    assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
    assertThat(JSON.readTree(pushed.body()).get("accepted").asInt()).isEqualTo(1);
    assertThat(JSON.readTree(pushed.body()).get("deltas").get(0).get("rowId").asText()).isEqualTo("1");

    HttpResponse<String> pulled = http.get("/v1/sync/gw1/pull?since=0&clientId=bob", TestNode.token("bob", "gw1"));
    assertThat(pulled.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(pulled.body());
    assertThat(body.get("deltas")).hasSize(1);
    JsonNode delta = body.get("deltas").get(0);
    assertThat(delta.get("op").asText()).isEqualTo("INSERT");
    assertThat(delta.get("columns").get(0).get("value").asText()).isEqualTo("milk");
    assertThat(delta.get("columns").get(1).get("value").get("a").get(1).asInt()).isEqualTo(2);
    assertThat(delta.get("deltaId").asText()).hasSize(64);
    assertThat(body.get("hasMore").asBoolean()).isFalse();
  }

  @Test
  void unprefixedAliasesServeTheSameGateway() throws Exception {
    String token = TestNode.token("alice", "gw1");
    assertThat(http.post("/sync/gw1/push", token, push("alice", List.of(delta("INSERT", "alice", "1", hlcNow(0), "[]"))))
        .statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(http.get("/v1/sync/gw1/pull", token).body()).get("deltas")).hasSize(1);
  }

  @Test
  void aDuplicateDeltaIsAcknowledgedButStoredOnce() throws Exception {
    String token = TestNode.token("alice", "gw1");
    String body = push("alice", List.of(delta("INSERT", "alice", "1", hlcNow(0), "[{\"column\":\"t\",\"value\":1}]")));
    assertThat(http.post("/v1/sync/gw1/push", token, body).statusCode()).isEqualTo(200);
    HttpResponse<String> again = http.post("/v1/sync/gw1/push", token, body);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(again.body()).get("accepted").asInt()).isEqualTo(1);
    assertThat(JSON.readTree(again.body()).get("deltas")).isEmpty();
    assertThat(JSON.readTree(http.get("/v1/sync/gw1/pull", token).body()).get("deltas")).hasSize(1);
  }

  @Test
  void pagesWithHasMoreNeverSkipALateDeltaWithAnOldHlc() throws Exception {
    String token = TestNode.token("alice", "gw1");
    long base = hlcNow(0);
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      deltas.add(delta("INSERT", "alice", "row" + i, base + i, "[]"));
    }
    assertThat(http.post("/v1/sync/gw1/push", token, push("alice", deltas)).statusCode()).isEqualTo(200);

    // A delta whose HLC is older than everything pulled so far, arriving late from another client.
    List<String> seen = new ArrayList<>();
    String cursor = "0";
    boolean lateSent = false;
    while (true) {
      JsonNode page = JSON.readTree(http.get("/v1/sync/gw1/pull?since=" + cursor + "&limit=10", token).body());
      page.get("deltas").forEach(d -> seen.add(d.get("rowId").asText()));
      cursor = page.get("serverHlc").asText();
      if (!lateSent) {
        String bob = TestNode.token("bob", "gw1");
        assertThat(http.post("/v1/sync/gw1/push", bob, push("bob", List.of(delta("INSERT", "bob", "late", base - 1000, "[]"))))
            .statusCode()).isEqualTo(200);
        lateSent = true;
        continue;
      }
      if (!page.get("hasMore").asBoolean()) {
        break;
      }
    }
    assertThat(seen).hasSize(26).doesNotHaveDuplicates().contains("late", "row0", "row24");
  }

  @Test
  void lastWriterWinsPerColumnAcrossClients() throws Exception {
    long t = hlcNow(0);
    http.post("/v1/sync/gw1/push", TestNode.token("alice", "gw1"), push("alice", List.of(
        delta("INSERT", "alice", "1", t, "[{\"column\":\"title\",\"value\":\"a\"},{\"column\":\"done\",\"value\":false}]"))));
    HttpResponse<String> stale = http.post("/v1/sync/gw1/push", TestNode.token("bob", "gw1"), push("bob", List.of(
        delta("UPDATE", "bob", "1", t - 5, "[{\"column\":\"title\",\"value\":\"stale\"}]"))));
    assertThat(JSON.readTree(stale.body()).get("deltas")).as("the stale update lost").isEmpty();
    http.post("/v1/sync/gw1/push", TestNode.token("bob", "gw1"), push("bob", List.of(
        delta("UPDATE", "bob", "1", t + 5, "[{\"column\":\"done\",\"value\":true}]"))));

    JsonNode deltas = JSON.readTree(http.get("/v1/sync/gw1/pull", TestNode.token("carol", "gw1")).body()).get("deltas");
    assertThat(deltas).hasSize(2);
    assertThat(deltas.get(1).get("columns").get(0).get("column").asText()).isEqualTo("done");
  }

  @Test
  void everyAcknowledgedDeltaSurvivesARestartOnTheSameDataDir() throws Exception {
    String token = TestNode.token("alice", "gw1");
    for (int i = 0; i < 20; i++) {
      assertThat(http.post("/v1/sync/gw1/push", token, push("alice", List.of(delta("INSERT", "alice", "r" + i, hlcNow(i), "[]"))))
          .statusCode()).isEqualTo(200);
    }
    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir);
    JsonNode page = JSON.readTree(http.get("/v1/sync/gw1/pull?limit=1000", token).body());
    assertThat(page.get("deltas")).hasSize(20);
  }

  @Test
  void aPullFromAGatewayNeverPushedToCarriesTheServersCurrentHlc() throws Exception {
    long before = System.currentTimeMillis();
    HttpResponse<String> pulled = http.get("/v1/sync/never-pushed/pull?since=0", TestNode.token("bob", "never-pushed"));
    long after = System.currentTimeMillis();
    assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(pulled.body());
    assertThat(body.get("deltas")).isEmpty();
    assertThat(HybridClock.wallOf(Long.parseUnsignedLong(body.get("serverHlc").asText()))).isBetween(before, after);
  }

  @Test
  void clockDriftIsRefusedWith409() throws Exception {
    HttpResponse<String> response = http.post("/v1/sync/gw1/push", TestNode.token("alice", "gw1"), push("alice",
        List.of(delta("INSERT", "alice", "1", HybridClock.encode(System.currentTimeMillis() + 60_000, 0), "[]"))));
    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(response.body()).get("code").asText()).isEqualTo("CLOCK_DRIFT");
  }

  @Test
  void tokensAreCheckedForPresenceSignatureExpiryAlgorithmAndGateway() throws Exception {
    String body = push("alice", List.of(delta("INSERT", "alice", "1", hlcNow(0), "[]")));
    assertThat(http.post("/v1/sync/gw1/push", null, body).statusCode()).isEqualTo(401);
    assertThat(http.post("/v1/sync/gw1/push", TestNode.token("alice", "other"), body).statusCode()).isEqualTo(403);
    assertThat(http.post("/v1/sync/gw1/push", TestNode.token("mallory", "gw1"), body).statusCode()).isEqualTo(403);

    String expired = JwtAuth.sign(TestNode.SECRET, "alice", "gw1", false, Duration.ofMinutes(-1), Clock.systemUTC());
    assertThat(http.post("/v1/sync/gw1/push", expired, body).statusCode()).isEqualTo(401);

    String valid = TestNode.token("alice", "gw1");
    String tampered = valid.substring(0, valid.length() - 2) + (valid.endsWith("A") ? "BB" : "AA");
    assertThat(http.post("/v1/sync/gw1/push", tampered, body).statusCode()).isEqualTo(401);

    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("alice").claim("gw", "gw1")
        .expirationTime(new Date(System.currentTimeMillis() + 60_000)).build();
    String none = new PlainJWT(new PlainHeader(), claims).serialize();
    assertThat(http.post("/v1/sync/gw1/push", none, body).statusCode()).isEqualTo(401);

    SignedJWT hs512 = new SignedJWT(new JWSHeader(JWSAlgorithm.HS512), claims);
    hs512.sign(new MACSigner((TestNode.SECRET + TestNode.SECRET).getBytes(StandardCharsets.UTF_8)));
    assertThat(http.post("/v1/sync/gw1/push", hs512.serialize(), body).statusCode()).isEqualTo(401);

    SignedJWT noExpiry = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
        new JWTClaimsSet.Builder().subject("alice").claim("gw", "gw1").build());
    noExpiry.sign(new MACSigner(TestNode.SECRET.getBytes(StandardCharsets.UTF_8)));
    assertThat(http.post("/v1/sync/gw1/push", noExpiry.serialize(), body).statusCode()).isEqualTo(401);
  }

  @Test
  void badInputGetsItsCodeAndTheGatewayKeepsServing() throws Exception {
    String token = TestNode.token("alice", "gw1");
    assertError(http.post("/v1/sync/gw1/push", token, "{not json"), 400, "VALIDATION_ERROR");
    assertError(http.post("/v1/sync/gw1/push", token, push("alice", List.of(delta("UPSERT", "alice", "1", hlcNow(0), "[]")))),
        400, "VALIDATION_ERROR");
    assertError(http.post("/v1/sync/gw1/push", token, "{\"clientId\":\"alice\",\"deltas\":[{\"op\":\"INSERT\"}]}"), 400, "VALIDATION_ERROR");

    List<String> tooMany = new ArrayList<>();
    for (int i = 0; i < 10_001; i++) {
      tooMany.add("{\"op\":\"INSERT\",\"table\":\"t\",\"rowId\":\"" + i + "\",\"clientId\":\"alice\",\"hlc\":\"1\"}");
    }
    assertError(http.post("/v1/sync/gw1/push", token, push("alice", tooMany)), 400, "VALIDATION_ERROR");

    String huge = "[{\"column\":\"blob\",\"value\":\"" + "x".repeat(1_100_000) + "\"}]";
    assertError(http.post("/v1/sync/gw1/push", token, push("alice", List.of(delta("INSERT", "alice", "1", hlcNow(0), huge)))),
        413, "VALIDATION_ERROR");

    assertError(http.get("/v1/sync/gw1/pull?since=abc", token), 400, "VALIDATION_ERROR");

    assertThat(http.post("/v1/sync/gw1/push", token, push("alice", List.of(delta("INSERT", "alice", "1", hlcNow(0), "[]"))))
        .statusCode()).isEqualTo(200);
  }

  @Test
  void adminMetricsNeedTheAdminRole() throws Exception {
    String token = TestNode.token("alice", "gw1");
    http.post("/v1/sync/gw1/push", token, push("alice", List.of(delta("INSERT", "alice", "1", hlcNow(0), "[]"))));
    assertError(http.get("/v1/admin/metrics/gw1", token), 403, "FORBIDDEN");
    String admin = JwtAuth.sign(TestNode.SECRET, "ops", "gw1", true, Duration.ofMinutes(5), Clock.systemUTC());
    HttpResponse<String> metrics = http.get("/v1/admin/metrics/gw1", admin);
    assertThat(metrics.statusCode()).isEqualTo(200);
    JsonNode buffered = JSON.readTree(metrics.body());
    assertThat(buffered.get("logSize").asInt()).isEqualTo(1);
    assertThat(buffered.get("byteSize").asLong()).isPositive();
    assertThat(buffered.get("peakBufferBytes").asLong()).isEqualTo(buffered.get("byteSize").asLong());
    assertThat(http.get("/admin/metrics/gw1", admin).statusCode()).isEqualTo(200);

    assertThat(http.post("/v1/admin/flush/gw1", admin, "").statusCode()).isEqualTo(200);
    JsonNode flushed = JSON.readTree(http.get("/v1/admin/metrics/gw1", admin).body());
    assertThat(flushed.get("byteSize").asLong()).isZero();
    assertThat(flushed.get("peakBufferBytes").asLong()).as("a high-water mark")
        .isEqualTo(buffered.get("peakBufferBytes").asLong());
  }

  @Test
  void registeredSchemasRefusePushesThatBreakThemAndSurviveARestart() throws Exception {
    String admin = JwtAuth.sign(TestNode.SECRET, "ops", "gw1", true, Duration.ofMinutes(5), Clock.systemUTC());
    String token = TestNode.token("alice", "gw1");
    String schema = "{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"},"
        + "{\"name\":\"done\",\"type\":\"boolean\"}]}";
    assertError(http.post("/v1/admin/schema/gw1", token, schema), 403, "FORBIDDEN");
    assertError(http.post("/v1/admin/schema/gw1", admin, "{\"table\":\"todos\"}"), 400, "SCHEMA_ERROR");
    assertThat(http.post("/v1/admin/schema/gw1", admin, schema).statusCode()).isEqualTo(200);

    assertError(http.post("/v1/sync/gw1/push", token, push("alice", List.of(
        delta("INSERT", "alice", "1", hlcNow(0), "[{\"column\":\"colour\",\"value\":\"red\"}]")))), 422, "SCHEMA_ERROR");
    assertError(http.post("/v1/sync/gw1/push", token, push("alice", List.of(
        delta("INSERT", "alice", "1", hlcNow(0), "[{\"column\":\"done\",\"value\":\"yes\"}]")))), 422, "SCHEMA_ERROR");
    assertThat(http.post("/v1/sync/gw1/push", token, push("alice", List.of(
        delta("INSERT", "alice", "1", hlcNow(0), "[{\"column\":\"done\",\"value\":true}]")))).statusCode()).isEqualTo(200);
    assertError(http.post("/v1/admin/schema/gw1", admin, "{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"}]}"),
        409, "SCHEMA_ERROR");

    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir);
    assertError(http.post("/v1/sync/gw1/push", token, push("alice", List.of(
        delta("INSERT", "alice", "2", hlcNow(0), "[{\"column\":\"colour\",\"value\":\"red\"}]")))), 422, "SCHEMA_ERROR");
  }

  @Test
  void healthAnswersAndUnknownRoutesGetJsonErrors() throws Exception {
    assertThat(http.get("/health", null).statusCode()).isEqualTo(200);
    assertError(http.get("/v1/nothing/here", null), 404, "NOT_FOUND");
    assertError(http.get("/v1/sync/gw1/push", TestNode.token("alice", "gw1")), 405, "METHOD_NOT_ALLOWED");
  }
}
