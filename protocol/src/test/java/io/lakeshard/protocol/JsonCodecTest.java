package io.lakeshard.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.lakeshard.protocol.v1.ActionErrorMsg;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.ActionResponse;
import io.lakeshard.protocol.v1.ActionResponseEntry;
import io.lakeshard.protocol.v1.ActionResultMsg;
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

  @Test
  void anActionPushReadsAsLakeSyncsClientSendsIt() throws ProtocolException {
    ActionPush push = JsonCodec.decodeActionPush(("{\"clientId\":\"c1\",\"actions\":[{\"actionId\":\"a1\","
        + "\"clientId\":\"c1\",\"hlc\":\"18446744073709551615\",\"connector\":\"crm\",\"actionType\":\"create\","
        + "\"params\":{\"n\":[1,2]},\"idempotencyKey\":\"k\"},{\"actionId\":7,\"hlc\":\"1\",\"params\":[]}]}")
        .getBytes(StandardCharsets.UTF_8));
    assertThat(push.getClientId()).isEqualTo("c1");
    assertThat(push.getActions(0).getHlc()).isEqualTo(-1L);
    assertThat(push.getActions(0).getParams().toStringUtf8()).isEqualTo("{\"n\":[1,2]}");
    assertThat(push.getActions(0).getIdempotencyKey()).isEqualTo("k");
    // Wrong types read as empty, for the service's validation to name the field.
    assertThat(push.getActions(1).getActionId()).isEmpty();
    assertThat(push.getActions(1).getParams().isEmpty()).isTrue();
  }

  @Test
  void whatTheProtobufFormCannotCarryIsRefused() {
    for (String body : new String[] {"nope", "{\"actions\":[]}", "{\"clientId\":\"c1\",\"actions\":{}}",
        "{\"clientId\":\"c1\",\"actions\":[null]}", "{\"clientId\":\"c1\",\"actions\":[{\"hlc\":5}]}",
        "{\"clientId\":\"c1\",\"actions\":[{\"hlc\":\"1\",\"idempotencyKey\":1}]}"}) {
      assertThatThrownBy(() -> JsonCodec.decodeActionPush(body.getBytes(StandardCharsets.UTF_8)))
          .as(body).isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void anActionResponseWritesEachResultInLakeSyncsShape() {
    ActionResponse response = ActionResponse.newBuilder().setServerHlc(-1L)
        .addResults(ActionResponseEntry.newBuilder().setSuccess(ActionResultMsg.newBuilder()
            .setActionId("a1").setData(ByteString.copyFromUtf8("{\"id\":3}")).setServerHlc(5)))
        .addResults(ActionResponseEntry.newBuilder().setError(ActionErrorMsg.newBuilder()
            .setActionId("a2").setCode("ACTION_NOT_SUPPORTED").setMessage("no").setRetryable(false)))
        .build();
    assertThat(new String(JsonCodec.encodeActionResponse(response), StandardCharsets.UTF_8)).isEqualTo(
        "{\"results\":[{\"actionId\":\"a1\",\"data\":{\"id\":3},\"serverHlc\":\"5\"},"
            + "{\"actionId\":\"a2\",\"code\":\"ACTION_NOT_SUPPORTED\",\"message\":\"no\",\"retryable\":false}],"
            + "\"serverHlc\":\"18446744073709551615\"}");
  }
}
