package io.lakeshard.core.action;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.lakeshard.core.CborSerializable;

/**
 * The answer to one action, as the client receives it and as the gateway remembers it
 * (journaled: add components with defaults, never rename).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({
    @JsonSubTypes.Type(value = ActionAnswer.Succeeded.class, name = "succeeded"),
    @JsonSubTypes.Type(value = ActionAnswer.Errored.class, name = "errored")})
public sealed interface ActionAnswer extends CborSerializable {
  String actionId();

  /** {@code dataJson}: the handler's data as JSON text (kept as text so the journal holds no JSON tree). */
  record Succeeded(String actionId, String dataJson, long serverHlc) implements ActionAnswer {}

  record Errored(String actionId, String code, String message, boolean retryable) implements ActionAnswer {}
}
