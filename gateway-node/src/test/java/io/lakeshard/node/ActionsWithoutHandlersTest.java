package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A node with no action handler answers as LakeSync's worker does. */
class ActionsWithoutHandlersTest extends NodeTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));

  @Test
  void everyActionIsNotSupported() throws Exception {
    HttpResponse<String> response = http.post("/v1/sync/gw1/action", TestNode.token("alice", "gw1"),
        ActionsHttpTest.actions("alice", ActionsHttpTest.action("a1", "create", "t", "k"),
            ActionsHttpTest.action("a2", "close", "t", null)));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode results = JSON.readTree(response.body()).get("results");
    assertThat(results).hasSize(2);
    for (JsonNode result : results) {
      assertThat(result.get("code").asText()).isEqualTo("ACTION_NOT_SUPPORTED");
      assertThat(result.get("message").asText()).contains("\"tickets\"");
      assertThat(result.get("retryable").asBoolean()).isFalse();
    }
    assertThat(results.get(1).get("actionId").asText()).isEqualTo("a2");
  }

  @Test
  void theCatalogueIsEmpty() throws Exception {
    HttpResponse<String> response = http.get("/v1/sync/gw1/actions", TestNode.token("alice", "gw1"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("{\"connectors\":{}}"));
  }

  @Test
  void theUnprefixedAliasesServeActionsToo() throws Exception {
    assertThat(http.get("/sync/gw1/actions", TestNode.token("alice", "gw1")).statusCode()).isEqualTo(200);
  }
}
