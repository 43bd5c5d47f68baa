package io.lakeshard.node.sync;

import io.lakeshard.core.gateway.SyncGateway;

/** How a pull ended. */
public sealed interface PullOutcome permits PullOutcome.Page, Refused, Unavailable {
  /** One page of deltas after the cursor. */
  record Page(SyncGateway.PullReply page) implements PullOutcome {}
}
