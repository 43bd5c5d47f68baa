package io.lakeshard.core.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void writesTheWireShapeInLiveStoresFieldOrder() {
    EventJson json = EventJson.of(new LiveEvent(1, 0, "v1.TodoCreated", "{\"id\":\"a\",\"text\":\"hi\"}", "client-a",
        "session-1"));

    assertThat(json.text()).isEqualTo("{\"name\":\"v1.TodoCreated\",\"args\":{\"id\":\"a\",\"text\":\"hi\"},"
        + "\"seqNum\":1,\"parentSeqNum\":0,\"clientId\":\"client-a\",\"sessionId\":\"session-1\"}");
    assertThat(json.size()).isEqualTo(json.text().length());
  }

  @Test
  void leavesOutArgsTheClientDidNotSendAndKeepsAJsonNull() throws Exception {
    assertThat(JSON.readTree(EventJson.of(new LiveEvent(2, 1, "e", null, "c", "s")).text()).has("args")).isFalse();
    JsonNode nullArgs = JSON.readTree(EventJson.of(new LiveEvent(2, 1, "e", "null", "c", "s")).text());
    assertThat(nullArgs.has("args")).isTrue();
    assertThat(nullArgs.get("args").isNull()).isTrue();
  }

  @Test
  void escapesStringsAndCountsUtf8Bytes() throws Exception {
    String name = "quote\" back\\slash \n tab\t é ✓ 😀 \u0001";
    EventJson json = EventJson.of(new LiveEvent(7, 6, name, "[\"ü\"]", "c\"", "s"));

    JsonNode parsed = JSON.readTree(json.text());
    assertThat(parsed.get("name").asText()).isEqualTo(name);
    assertThat(parsed.get("clientId").asText()).isEqualTo("c\"");
    assertThat(parsed.get("args").get(0).asText()).isEqualTo("ü");
    assertThat(json.size()).isEqualTo(json.text().getBytes(StandardCharsets.UTF_8).length);
  }

  @Test
  void countsALoneSurrogateAsTheEncoderDoes() {
    String lone = "a\uD800b\uDC00";
    assertThat(EventJson.utf8Length(lone)).isEqualTo(lone.getBytes(StandardCharsets.UTF_8).length);
  }
}
