package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.assertError;
import static io.lakeshard.node.NodeHttp.hlcNow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every bad-input rule of push and pull over HTTP, with its documented status and code; after
 * each, the same gateway (not a restarted one) keeps serving. One node for the class (see {@link SentinelNodeTestBase}).
 */
class HttpBadInputTest extends SentinelNodeTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "bad-http";

  @Override
  String gateway() {
    return GATEWAY;
  }

  private String token() {
    return TestNode.token("alice", GATEWAY);
  }

  private static String pushPath() {
    return "/v1/sync/" + GATEWAY + "/push";
  }

  @ParameterizedTest(name = "limit={0}")
  @CsvSource({"-1", "-2147483648", "99999999999999999999"})
  void aPullLimitThatIsNegativeOrNotANumberIsRefused(String limit) throws Exception {
    assertError(http.get("/v1/sync/" + GATEWAY + "/pull?limit=" + limit, token()), 400, "VALIDATION_ERROR");
  }

  @ParameterizedTest(name = "limit={0}")
  @CsvSource({"0", "10001", "2147483647", "2147483648", "4294967295"})
  void aPullLimitOfZeroIsTheDefaultAndOneOverTheMaxIsCapped(String limit) throws Exception {
    HttpResponse<String> pulled = http.get("/v1/sync/" + GATEWAY + "/pull?since=0&limit=" + limit, token());
    assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
    assertThat(JSON.readTree(pulled.body()).get("deltas").isArray()).isTrue();
  }

  @Test
  void aPushWhoseClientIdIsNotTheTokensSubIs403() throws Exception {
    assertError(http.post(pushPath(), token(), NodeHttp.push("mallory",
        List.of(NodeHttp.delta("INSERT", "todos", "mallory", "1", hlcNow(0), "[]")))), 403, "FORBIDDEN");
  }

  @Test
  void aPushOfMoreThan10000DeltasIs400AsLakeSyncAnswers() throws Exception {
    List<String> tooMany = new ArrayList<>();
    for (int i = 0; i < 10_001; i++) {
      tooMany.add("{\"op\":\"INSERT\",\"table\":\"t\",\"rowId\":\"" + i + "\",\"clientId\":\"alice\",\"hlc\":\"1\"}");
    }
    assertError(http.post(pushPath(), token(), NodeHttp.push("alice", tooMany)), 400, "VALIDATION_ERROR");
  }

  @Test
  void aBodyOver1MiBIs413() throws Exception {
    String huge = "[{\"column\":\"blob\",\"value\":\"" + "x".repeat(1_100_000) + "\"}]";
    assertError(http.post(pushPath(), token(), NodeHttp.push("alice",
        List.of(NodeHttp.delta("INSERT", "todos", "alice", "1", hlcNow(0), huge)))), 413, "VALIDATION_ERROR");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{not json",
      "[]",
      "{\"clientId\":\"alice\",\"deltas\":[{\"op\":\"INSERT\"}]}",
      "{\"clientId\":\"alice\",\"deltas\":[{\"op\":\"UPSERT\",\"table\":\"t\",\"rowId\":\"1\",\"clientId\":\"alice\",\"hlc\":\"1\"}]}"})
  void malformedJsonIs400(String body) throws Exception {
    assertError(http.post(pushPath(), token(), body), 400, "VALIDATION_ERROR");
  }
}
