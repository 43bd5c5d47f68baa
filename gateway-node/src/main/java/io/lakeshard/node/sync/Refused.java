package io.lakeshard.node.sync;

/** A request the sync service refused; nothing reached the gateway's state. */
public record Refused(SyncRefusal reason, String message) implements SyncService.Access, PushOutcome, PullOutcome,
    ActionOutcome, CheckpointOutcome {}
