package io.lakeshard.core.action;

import io.lakeshard.core.CborSerializable;

/**
 * The journaled event: an action ran and its answer is to be given again for a repeat of its
 * actionId or of {@code idempotencyKey} (null when the action had none).
 */
public record ActionRecorded(String idempotencyKey, ActionAnswer answer) implements CborSerializable {}
