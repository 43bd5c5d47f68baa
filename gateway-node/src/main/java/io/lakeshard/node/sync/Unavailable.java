package io.lakeshard.node.sync;

import java.time.Duration;

/** The gateway cannot serve this now and nothing was lost: try again after {@code retryAfter}. */
public record Unavailable(Cause cause, String message, Duration retryAfter) implements PushOutcome, PullOutcome,
    ActionOutcome, CheckpointOutcome {
  public enum Cause {
    /** The lake is failing and the gateway holds twice its buffer limit. */
    BACKPRESSURE,
    /** The pull needs flushed data the lake cannot serve now, or a checkpoint cannot be read. */
    LAKE_UNAVAILABLE,
    /**
     * The push's journal write failed (the gateway restarts with backoff); it was not
     * acknowledged. For actions: an answer could not be journaled (the action may have run).
     */
    JOURNAL_UNAVAILABLE
  }
}
