package io.lakeshard.core.action;

import com.fasterxml.jackson.databind.JsonNode;

/** What a handler's execution came to: the connector's data, or an error the client sees. */
public sealed interface ActionResult permits ActionResult.Done, ActionResult.Failed {
  /** LakeSync's code for a failed execution. */
  String EXECUTION_ERROR = "ACTION_EXECUTION_ERROR";
  /** LakeSync's code for a connector or action type no handler runs. */
  String NOT_SUPPORTED = "ACTION_NOT_SUPPORTED";

  /** {@code data}: a JSON object, the result the client receives. */
  record Done(JsonNode data) implements ActionResult {}

  /**
   * {@code retryable}: whether the client may try again. A retryable failure is not remembered
   * (the next attempt runs the action again), as in LakeSync; any other answer is.
   */
  record Failed(String code, String message, boolean retryable) implements ActionResult {}

  static ActionResult done(JsonNode data) {
    return new Done(data);
  }

  static ActionResult failed(String message, boolean retryable) {
    return new Failed(EXECUTION_ERROR, message, retryable);
  }
}
