package io.lakeshard.core.action;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An action type a connector runs, as {@code GET /actions} lists it (LakeSync's ActionDescriptor).
 *
 * @param paramsSchema a JSON Schema of the params, or null (then left out of the listing)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ActionDescriptor(String actionType, String description, JsonNode paramsSchema) {
  public ActionDescriptor(String actionType, String description) {
    this(actionType, description, null);
  }
}
