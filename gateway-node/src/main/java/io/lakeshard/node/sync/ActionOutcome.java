package io.lakeshard.node.sync;

import io.lakeshard.core.action.GatewayActions;

/** How an action push ended. */
public sealed interface ActionOutcome permits ActionOutcome.Answered, Refused, Unavailable {
  /** One answer per action (a result or an error of that action); the request itself succeeded. */
  record Answered(GatewayActions.Executed answers) implements ActionOutcome {}
}
