package io.lakeshard.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.SyncPush;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonCodecTest {

  @Test
  void hlcsAboveTwoToTheFiftyThreeSurviveAsDecimalStrings() throws ProtocolException {
    String json = "{\"clientId\":\"c\",\"lastSeenHlc\":\"18446744073709551615\",\"deltas\":[{\"op\":\"UPDATE\","
        + "\"table\":\"t\",\"rowId\":\"r\",\"clientId\":\"c\",\"hlc\":\"117672255630934017\","
        + "\"columns\":[{\"column\":\"a\",\"value\":{\"x\":[1,null]}}]}]}";
    SyncPush push = JsonCodec.decodePush(json.getBytes(StandardCharsets.UTF_8));
    assertThat(push.getLastSeenHlc()).isEqualTo(-1L);
    assertThat(push.getDeltas(0).getHlc()).isEqualTo(117672255630934017L);
    assertThat(push.getDeltas(0).getOp()).isEqualTo(DeltaOp.DELTA_OP_UPDATE);
    assertThat(push.getDeltas(0).getColumns(0).getValue().toStringUtf8()).isEqualTo("{\"x\":[1,null]}");
    assertThat(new String(JsonCodec.encodePush(push), StandardCharsets.UTF_8))
        .contains("\"lastSeenHlc\":\"18446744073709551615\"", "\"hlc\":\"117672255630934017\"");
  }

  @Test
  void refusesUnknownOpsAndNonNumericHlcs() {
    assertThatThrownBy(() -> JsonCodec.decodePush(
        "{\"clientId\":\"c\",\"deltas\":[{\"op\":\"MERGE\",\"table\":\"t\",\"rowId\":\"r\",\"clientId\":\"c\",\"hlc\":\"1\"}]}"
            .getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("unknown op");
    assertThatThrownBy(() -> JsonCodec.decodePush(
        "{\"clientId\":\"c\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"t\",\"rowId\":\"r\",\"clientId\":\"c\",\"hlc\":\"-5\"}]}"
            .getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("hlc must be");
  }
}
