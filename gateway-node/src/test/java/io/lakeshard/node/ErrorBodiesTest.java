package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.assertError;
import static io.lakeshard.node.NodeHttp.hlcNow;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every error of the sync and admin routes, with LakeSync's status, code and body
 * ({@code {"error": text, "code": CODE, "requestId": id}}, the id that of the X-Request-Id header).
 * One node for the class; after each case the same gateway keeps serving.
 */
class ErrorBodiesTest extends SentinelNodeTestBase {
  private static final String GATEWAY = "errors";
  private static final String PUSH = "/v1/sync/" + GATEWAY + "/push";
  /** A table with a registered schema: {@code done} is a boolean, nothing else is known. */
  private static final String TYPED = "typed";
  private static final String SCHEMA = "{\"table\":\"" + TYPED + "\",\"columns\":[{\"name\":\"done\",\"type\":\"boolean\"}]}";

  @Override
  String gateway() {
    return GATEWAY;
  }

  @BeforeAll
  void registerSchema() throws Exception {
    HttpResponse<String> saved = http.post("/v1/admin/schema/" + GATEWAY, admin(), SCHEMA);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
  }

  /** One request a client may send. */
  @FunctionalInterface
  interface Request {
    HttpResponse<String> send(NodeHttp http) throws Exception;
  }

  private static String token() {
    return TestNode.token("alice", GATEWAY);
  }

  private static String admin() {
    return TestNode.adminToken("ops", GATEWAY);
  }

  private static String signed(JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(new MACSigner(TestNode.SECRET.getBytes(StandardCharsets.UTF_8)));
    return jwt.serialize();
  }

  private static Date inAMinute() {
    return new Date(System.currentTimeMillis() + 60_000);
  }

  private static String pushOf(String table, String columnsJson) {
    return NodeHttp.push("alice", List.of(NodeHttp.delta("INSERT", table, "alice", "1", hlcNow(0), columnsJson)));
  }

  private static Request push(String token, String body) {
    return http -> http.post(PUSH, token, body);
  }

  private static Arguments refused(String when, Request request, int status, String code) {
    return Arguments.of(when, request, status, code);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        refused("no token", push(null, pushOf("todos", "[]")), 401, "AUTH_ERROR"),
        refused("a token without gw", http -> http.post(PUSH, signed(new JWTClaimsSet.Builder().subject("alice")
            .expirationTime(inAMinute()).build()), pushOf("todos", "[]")), 401, "AUTH_ERROR"),
        refused("a token without sub", http -> http.post(PUSH, signed(new JWTClaimsSet.Builder().claim("gw", GATEWAY)
            .expirationTime(inAMinute()).build()), pushOf("todos", "[]")), 401, "AUTH_ERROR"),
        refused("an expired token", push(JwtAuth.sign(TestNode.SECRET, "alice", GATEWAY, false, Duration.ofMinutes(-1),
            Clock.systemUTC()), pushOf("todos", "[]")), 401, "AUTH_ERROR"),
        refused("a token for another gateway", push(TestNode.token("alice", "other"), pushOf("todos", "[]")),
            403, "FORBIDDEN"),
        refused("a push whose clientId is not the token's sub", push(TestNode.token("mallory", GATEWAY),
            pushOf("todos", "[]")), 403, "FORBIDDEN"),
        refused("an admin route without the admin role", http -> http.get("/v1/admin/metrics/" + GATEWAY, token()),
            403, "FORBIDDEN"),
        refused("an admin token for another gateway", http -> http.post("/v1/admin/flush/" + GATEWAY,
            TestNode.adminToken("ops", "other"), ""), 403, "FORBIDDEN"),
        refused("a body that is not JSON", push(token(), "{not json"), 400, "VALIDATION_ERROR"),
        refused("an unknown op", push(token(), NodeHttp.push("alice", List.of(
            NodeHttp.delta("UPSERT", "todos", "alice", "1", hlcNow(0), "[]")))), 400, "VALIDATION_ERROR"),
        refused("more than 10 000 deltas", push(token(), tooManyDeltas()), 400, "VALIDATION_ERROR"),
        refused("a body over 1 MiB", push(token(), pushOf("todos",
            "[{\"column\":\"blob\",\"value\":\"" + "x".repeat(1_100_000) + "\"}]")), 413, "VALIDATION_ERROR"),
        refused("a pull from a since that is no HLC", http -> http.get("/v1/sync/" + GATEWAY + "/pull?since=abc",
            token()), 400, "VALIDATION_ERROR"),
        refused("a negative pull limit", http -> http.get("/v1/sync/" + GATEWAY + "/pull?limit=-1", token()),
            400, "VALIDATION_ERROR"),
        refused("a WebSocket route without an upgrade", http -> http.get("/v1/sync/" + GATEWAY + "/ws", token()),
            400, "VALIDATION_ERROR"),
        refused("a table name with a hyphen", push(token(), pushOf("to-dos", "[]")), 422, "SCHEMA_ERROR"),
        refused("a table name starting with a digit", push(token(), pushOf("1todos", "[]")), 422, "SCHEMA_ERROR"),
        refused("a table name of 65 characters", push(token(), pushOf("t".repeat(65), "[]")), 422, "SCHEMA_ERROR"),
        refused("an empty table name", push(token(), pushOf("", "[]")), 422, "SCHEMA_ERROR"),
        refused("a column the table's schema does not have", push(token(), pushOf(TYPED,
            "[{\"column\":\"colour\",\"value\":\"red\"}]")), 422, "SCHEMA_ERROR"),
        refused("a value of another type than its column's", push(token(), pushOf(TYPED,
            "[{\"column\":\"done\",\"value\":\"yes\"}]")), 422, "SCHEMA_ERROR"),
        refused("a client clock a minute ahead", push(token(), NodeHttp.push("alice", List.of(NodeHttp.delta("INSERT",
            "todos", "alice", "1", HybridClock.encode(System.currentTimeMillis() + 60_000, 0), "[]")))),
            409, "CLOCK_DRIFT"),
        refused("a schema without columns", http -> http.post("/v1/admin/schema/" + GATEWAY, admin(),
            "{\"table\":\"todos\"}"), 400, "SCHEMA_ERROR"),
        refused("a schema for an invalid table name", http -> http.post("/v1/admin/schema/" + GATEWAY, admin(),
            "{\"table\":\"to do\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"}]}"), 400, "SCHEMA_ERROR"),
        refused("a schema with an invalid column name", http -> http.post("/v1/admin/schema/" + GATEWAY, admin(),
            "{\"table\":\"todos\",\"columns\":[{\"name\":\"due-date\",\"type\":\"string\"}]}"), 400, "SCHEMA_ERROR"),
        refused("a schema that drops a registered column", http -> http.post("/v1/admin/schema/" + GATEWAY, admin(),
            "{\"table\":\"" + TYPED + "\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"}]}"), 409,
            "SCHEMA_ERROR"),
        refused("an unknown route", http -> http.get("/v1/nothing/here", token()), 404, "NOT_FOUND"),
        refused("a method the route does not take", http -> http.get(PUSH, token()), 405, "METHOD_NOT_ALLOWED"));
  }

  private static String tooManyDeltas() {
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < 10_001; i++) {
      deltas.add("{\"op\":\"INSERT\",\"table\":\"t\",\"rowId\":\"" + i + "\",\"clientId\":\"alice\",\"hlc\":\"1\"}");
    }
    return NodeHttp.push("alice", deltas);
  }

  @ParameterizedTest(name = "{0}: {2} {3}")
  @MethodSource("cases")
  void answersAsLakeSync(String when, Request request, int status, String code) throws Exception {
    assertError(request.send(http), status, code);
  }

  /** On another gateway: the sentinel session of this one must see no broadcasts but its own. */
  @Test
  void aTableNameOf64CharactersOrWithUnderscoresAndDigitsIsAccepted() throws Exception {
    for (String table : List.of("t".repeat(64), "_todo_items_2", "Todos")) {
      HttpResponse<String> pushed = http.post("/v1/sync/accepting/push", TestNode.token("alice", "accepting"),
          pushOf(table, "[]"));
      assertThat(pushed.statusCode()).as(table + ": " + pushed.body()).isEqualTo(200);
    }
  }
}
