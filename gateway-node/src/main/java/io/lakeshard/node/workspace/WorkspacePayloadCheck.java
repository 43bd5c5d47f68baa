package io.lakeshard.node.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.node.Stages;
import io.lakeshard.node.livestore.PayloadCheck;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * LiveStore in workspace mode: the sync payload {@code {instanceId, authToken}} (browsers) or
 * {@code {instanceId, serverBypass}} (the server process), through the {@link WorkspaceGate}. Both
 * transports call it (a WebSocket at its upgrade, HTTP on every request). A payload field of the
 * wrong JSON type counts as missing.
 */
public final class WorkspacePayloadCheck implements PayloadCheck {
  private final WorkspaceGate gate;

  public WorkspacePayloadCheck(WorkspaceGate gate) {
    this.gate = gate;
  }

  @Override
  public CompletionStage<Admission> check(String storeId, Optional<JsonNode> payload) {
    WorkspaceGate.Credentials credentials = new WorkspaceGate.Credentials(
        text(payload, "authToken"),
        payload.map(json -> json.get("serverBypass")).filter(value -> !value.isNull()).map(JsonNode::asText),
        text(payload, "instanceId"));
    return Stages.direct(gate.admit(storeId, credentials)).thenApply(admission ->
        admission instanceof WorkspaceGate.Admitted admitted
            ? new Admitted(Optional.of(admitted.holder()))
            : new Refused(refusal(((WorkspaceGate.Refused) admission).refusal())));
  }

  private static Refusal refusal(WorkspaceRefusal refusal) {
    return new Refusal(refusal.code().name(), refusal.message());
  }

  private static Optional<String> text(Optional<JsonNode> payload, String field) {
    return payload.map(json -> json.get(field)).filter(JsonNode::isTextual).map(JsonNode::asText);
  }
}
