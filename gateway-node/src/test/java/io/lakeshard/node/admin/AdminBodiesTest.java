package io.lakeshard.node.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.node.http.JsonBodies;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdminBodiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void hlcsAreUnsignedDecimalStringsAndCountsStayNumbers() throws Exception {
    // -1 is 2^64 - 1 as an unsigned HLC: signed, it would read as negative; as a JSON number, lose precision.
    SyncGateway.Stats stats = new SyncGateway.Stats(3, 120, 2, -1L, 1, 4, Long.MIN_VALUE, 360, SyncGateway.FlushStatus.NONE);
    JsonNode body = JSON.readTree(JsonBodies.bytes(AdminBodies.Metrics.of(List.of(stats))));
    assertThat(body.get("serverHlc").textValue()).isEqualTo("18446744073709551615");
    assertThat(body.get("flushedUpTo").textValue()).isEqualTo("9223372036854775808");
    assertThat(body.get("logSize").isInt()).isTrue();
    assertThat(body.get("sessions").asInt()).isEqualTo(1);
    assertThat(body.get("peakBufferBytes").asLong()).isEqualTo(360);
  }

  @Test
  void nothingFlushedHasNoSeq() throws Exception {
    JsonNode body = JSON.readTree(JsonBodies.bytes(AdminBodies.Flushed.of(List.of(new SyncGateway.NothingToFlush()))));
    assertThat(body.get("flushed").asBoolean()).isFalse();
    assertThat(body.has("seq")).isFalse();
    assertThat(body.get("files")).isEmpty();
  }
}
