package io.lakeshard.core.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.Action;
import io.lakeshard.protocol.v1.ActionResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireActionsTest {
  private static final Action VALID = Action.newBuilder().setActionId("a1").setClientId("c1").setHlc(-1L)
      .setConnector("crm").setActionType("create").setParams(ByteString.copyFromUtf8("{\"title\":\"x\"}")).build();

  @Test
  void aValidActionKeepsEveryField() throws ProtocolException {
    io.lakeshard.core.action.Action action = WireActions.fromWire(List.of(VALID)).get(0);
    assertThat(action.actionId()).isEqualTo("a1");
    assertThat(action.hlc()).isEqualTo(-1L);
    assertThat(action.params().get("title").asText()).isEqualTo("x");
    assertThat(action.idempotencyKey()).as("an empty key is none, as in LakeSync").isNull();
    assertThat(WireActions.fromWire(List.of(VALID.toBuilder().setIdempotencyKey("k").build())).get(0)
        .idempotencyKey()).isEqualTo("k");
  }

  @Test
  void eachMissingPartIsNamedAsLakeSyncNamesIt() {
    assertRefused(VALID.toBuilder().clearActionId().build(), "actionId must be a non-empty string");
    assertRefused(VALID.toBuilder().clearClientId().build(), "clientId must be a non-empty string");
    assertRefused(VALID.toBuilder().clearConnector().build(), "connector must be a non-empty string");
    assertRefused(VALID.toBuilder().clearActionType().build(), "actionType must be a non-empty string");
    assertRefused(VALID.toBuilder().clearParams().build(), "params must be a non-null object");
    assertRefused(VALID.toBuilder().setParams(ByteString.copyFromUtf8("[1]")).build(), "params must be a non-null object");
    assertRefused(VALID.toBuilder().setParams(ByteString.copyFromUtf8("{broken")).build(), "params must be a non-null object");
  }

  @Test
  void answersGoToTheWireInOrder() {
    ActionResponse response = WireActions.toWire(new GatewayActions.Executed(List.of(
        new ActionAnswer.Succeeded("a1", "{\"id\":1}", 9),
        new ActionAnswer.Errored("a2", "ACTION_NOT_SUPPORTED", "no", false)), 10));
    assertThat(response.getServerHlc()).isEqualTo(10);
    assertThat(response.getResults(0).getSuccess().getData().toStringUtf8()).isEqualTo("{\"id\":1}");
    assertThat(response.getResults(0).getSuccess().getServerHlc()).isEqualTo(9);
    assertThat(response.getResults(1).getError().getCode()).isEqualTo("ACTION_NOT_SUPPORTED");
  }

  private static void assertRefused(Action action, String message) {
    assertThatThrownBy(() -> WireActions.fromWire(List.of(VALID, action)))
        .isInstanceOf(ProtocolException.class).hasMessage(message);
  }
}
