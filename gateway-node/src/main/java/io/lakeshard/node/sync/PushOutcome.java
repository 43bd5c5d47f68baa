package io.lakeshard.node.sync;

import io.lakeshard.core.gateway.SyncGateway;

/** How a push ended. */
public sealed interface PushOutcome permits PushOutcome.Accepted, Refused, Unavailable {
  /** Journaled: the server HLC and the deltas that won LWW (the HTTP ack carries them). */
  record Accepted(SyncGateway.PushAccepted ack) implements PushOutcome {}
}
