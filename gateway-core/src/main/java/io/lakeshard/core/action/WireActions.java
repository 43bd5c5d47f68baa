package io.lakeshard.core.action;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.ActionErrorMsg;
import io.lakeshard.protocol.v1.ActionResponse;
import io.lakeshard.protocol.v1.ActionResponseEntry;
import io.lakeshard.protocol.v1.ActionResultMsg;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Actions between their protobuf form (both transports decode to it) and the entity's records. */
public final class WireActions {
  private static final ObjectMapper JSON = new ObjectMapper();

  private WireActions() {}

  /** LakeSync's structural checks of an action (its validateAction), in its order and words. */
  public static List<Action> fromWire(List<io.lakeshard.protocol.v1.Action> actions) throws ProtocolException {
    List<Action> decoded = new ArrayList<>(actions.size());
    for (io.lakeshard.protocol.v1.Action action : actions) {
      decoded.add(fromWire(action));
    }
    return decoded;
  }

  private static Action fromWire(io.lakeshard.protocol.v1.Action action) throws ProtocolException {
    requireText(action.getActionId(), "actionId");
    requireText(action.getClientId(), "clientId");
    requireText(action.getConnector(), "connector");
    requireText(action.getActionType(), "actionType");
    JsonNode params = params(action.getParams());
    String key = action.getIdempotencyKey();
    return new Action(action.getActionId(), action.getClientId(), action.getHlc(), action.getConnector(),
        action.getActionType(), params, key.isEmpty() ? null : key);
  }

  private static void requireText(String value, String field) throws ProtocolException {
    if (value.isEmpty()) {
      throw new ProtocolException(field + " must be a non-empty string");
    }
  }

  private static JsonNode params(ByteString bytes) throws ProtocolException {
    JsonNode params = null;
    if (!bytes.isEmpty()) {
      try {
        params = JSON.readTree(bytes.toByteArray());
      } catch (IOException e) {
        // refused below
      }
    }
    if (params == null || !params.isObject()) {
      throw new ProtocolException("params must be a non-null object");
    }
    return params;
  }

  public static ActionResponse toWire(GatewayActions.Executed executed) {
    ActionResponse.Builder response = ActionResponse.newBuilder().setServerHlc(executed.serverHlc());
    for (ActionAnswer answer : executed.results()) {
      ActionResponseEntry.Builder entry = ActionResponseEntry.newBuilder();
      if (answer instanceof ActionAnswer.Succeeded succeeded) {
        entry.setSuccess(ActionResultMsg.newBuilder()
            .setActionId(succeeded.actionId())
            .setData(ByteString.copyFrom(succeeded.dataJson(), StandardCharsets.UTF_8))
            .setServerHlc(succeeded.serverHlc()));
      } else {
        ActionAnswer.Errored errored = (ActionAnswer.Errored) answer;
        entry.setError(ActionErrorMsg.newBuilder()
            .setActionId(errored.actionId())
            .setCode(errored.code())
            .setMessage(errored.message())
            .setRetryable(errored.retryable()));
      }
      response.addResults(entry);
    }
    return response.build();
  }
}
