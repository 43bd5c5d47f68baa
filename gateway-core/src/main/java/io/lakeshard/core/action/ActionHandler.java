package io.lakeshard.core.action;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A connector's actions (LakeSync's ActionHandler). Listed in {@code lakeshard.actions.handlers}
 * by class name and made once per node with its no-arg constructor, so every node of a cluster
 * must have the same handlers.
 *
 * <p>{@link #execute} is called off the entity, on {@code lakeshard.action-dispatcher}, one
 * action at a time per gateway; it may block briefly, but a long call should return a stage and
 * do its work elsewhere. A stage that fails or does not complete within
 * {@code lakeshard.actions.handler-timeout} answers a retryable {@code ACTION_EXECUTION_ERROR}.
 */
public interface ActionHandler {
  /** The connector name clients put in {@code Action.connector} (e.g. "github"). */
  String connector();

  /** The action types this connector runs; others are answered {@code ACTION_NOT_SUPPORTED}. */
  List<ActionDescriptor> actions();

  CompletionStage<ActionResult> execute(Action action, ActionContext context);
}
