package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST/GET /v1/admin/claims-version/{userId} on one real node: who may call it, what it refuses, what it holds. */
class ClaimsVersionRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BYPASS = "server-bypass-secret-for-the-claims-test";
  private static final String PATH = "/v1/admin/claims-version/";

  @TempDir Path dataDir;
  private LakeshardNode node;
  private NodeHttp http;
  private final String admin = TestNode.adminToken("auth-service", "any");

  @BeforeEach
  void start() {
    node = TestNode.start(dataDir, Map.of("lakeshard.workspace.server-bypass-token", BYPASS));
    http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private long version(HttpResponse<String> response) throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(json(response).get("userId").asText()).isNotEmpty();
    return json(response).get("version").asLong();
  }

  @Test
  void aBumpRaisesByOneAnExplicitVersionNeverLowersAndGetReadsIt() throws Exception {
    assertThat(version(http.get(PATH + "ann", admin))).isZero();
    assertThat(json(http.get(PATH + "ann", admin)).get("userId").asText()).isEqualTo("ann");

    assertThat(version(http.post(PATH + "ann", admin, ""))).isEqualTo(1);
    assertThat(version(http.post(PATH + "ann", admin, ""))).isEqualTo(2);
    assertThat(version(http.post(PATH + "ann", admin, "{\"version\": 10}"))).isEqualTo(10);
    assertThat(version(http.post(PATH + "ann", admin, "{\"version\": 3}"))).isEqualTo(10);
    assertThat(version(http.post(PATH + "ann", admin, "{\"version\": 10}"))).isEqualTo(10);
    assertThat(version(http.get(PATH + "ann", admin))).isEqualTo(10);
    assertThat(version(http.get(PATH + "bob", admin))).isZero();
  }

  @Test
  void onlyAnAdminOrTheServerBypassTokenMayCall() throws Exception {
    HttpResponse<String> none = http.post(PATH + "ann", null, "");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(json(none).get("code").asText()).isEqualTo("AUTH_ERROR");
    HttpResponse<String> member = http.post(PATH + "ann", TestNode.token("ann", "gw1"), "");
    assertThat(member.statusCode()).isEqualTo(403);
    assertThat(json(member).get("code").asText()).isEqualTo("FORBIDDEN");
    assertThat(http.post(PATH + "ann", BYPASS + "x", "").statusCode()).isEqualTo(401);
    assertThat(http.get(PATH + "ann", BYPASS.substring(1)).statusCode()).isEqualTo(401);
    assertThat(version(http.get(PATH + "ann", admin))).isZero(); // none of those raised it

    assertThat(version(http.post(PATH + "ann", BYPASS, ""))).isEqualTo(1);
    assertThat(version(http.get(PATH + "ann", BYPASS))).isEqualTo(1);
  }

  @Test
  void badUserIdsAndBodiesAre400AndChangeNothing() throws Exception {
    String[] badIds = {"a%20b", "a%2Fb", "%C3%A9", "x".repeat(129), "a%00"};
    for (String id : badIds) {
      HttpResponse<String> response = http.post(PATH + id, admin, "");
      assertThat(response.statusCode()).as(id).isEqualTo(400);
      assertThat(json(response).get("code").asText()).isEqualTo("VALIDATION_ERROR");
      assertThat(http.get(PATH + id, admin).statusCode()).as(id).isEqualTo(400);
    }
    assertThat(version(http.get(PATH + "x".repeat(128), admin))).isZero();
    assertThat(version(http.post(PATH + "auth0%7C5f1.a_b-c%40d.example:e+f", admin, ""))).isEqualTo(1);

    String[] badBodies = {"nope", "{\"version\": -1}", "{\"version\": 1.5}", "{\"version\": \"3\"}", "{\"v\": 1}",
        "{\"version\": 1, \"extra\": 2}", "[1]", "null", "{\"version\": 99999999999999999999}", "{}"};
    for (String body : badBodies) {
      HttpResponse<String> response = http.post(PATH + "ann", admin, body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(json(response).get("code").asText()).isEqualTo("VALIDATION_ERROR");
      assertThat(response.body()).doesNotContain("Exception");
    }
    assertThat(version(http.get(PATH + "ann", admin))).isZero();
  }

  @Test
  void theVersionSurvivesARestartOfTheNode() throws Exception {
    assertThat(version(http.post(PATH + "ann", admin, "{\"version\": 7}"))).isEqualTo(7);
    node.stop().toCompletableFuture().join();

    node = TestNode.start(dataDir, Map.of());
    assertThat(version(http.get(PATH + "ann", admin))).isEqualTo(7);
    assertThat(version(http.post(PATH + "ann", admin, ""))).isEqualTo(8);
  }

  @Test
  void withoutABypassTokenOnlyAdminsMayCall(@TempDir Path otherDir) throws Exception {
    node.stop().toCompletableFuture().join();
    node = TestNode.start(otherDir, Map.of());

    assertThat(http.post(PATH + "ann", null, "").statusCode()).isEqualTo(401);
    assertThat(http.send("POST", PATH + "ann?token=", "application/json", "").statusCode()).isEqualTo(401);
    assertThat(http.post(PATH + "ann", BYPASS, "").statusCode()).isEqualTo(401);
    assertThat(version(http.post(PATH + "ann", admin, ""))).isEqualTo(1);
  }
}
