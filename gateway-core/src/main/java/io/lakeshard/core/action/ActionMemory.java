package io.lakeshard.core.action;

import io.lakeshard.core.CborSerializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The answers a gateway gives again instead of running an action twice: by actionId, then by
 * idempotency key (LakeSync's order). Bounded: past {@code capacity} answers the oldest is
 * forgotten, with its key. The entity's state; its snapshot is {@link Snapshot}.
 */
final class ActionMemory {
  private final int capacity;
  /** In recording order, so the eldest is evicted first. */
  private final LinkedHashMap<String, ActionRecorded> byActionId = new LinkedHashMap<>();
  private final Map<String, String> actionIdByKey = new HashMap<>();

  /** The journaled form of the memory, oldest first. */
  record Snapshot(List<ActionRecorded> recorded) implements CborSerializable {}

  ActionMemory(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("lakeshard.actions.remember must be at least 1, got " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * The remembered answer to {@code action}: by its actionId, else by its key; as LakeSync, an
   * answer found by key is the first action's, with that action's id.
   */
  Optional<ActionAnswer> find(Action action) {
    ActionRecorded recorded = byActionId.get(action.actionId());
    if (recorded == null && action.idempotencyKey() != null) {
      String actionId = actionIdByKey.get(action.idempotencyKey());
      recorded = actionId == null ? null : byActionId.get(actionId);
    }
    return Optional.ofNullable(recorded).map(ActionRecorded::answer);
  }

  ActionMemory remember(ActionRecorded recorded) {
    String actionId = recorded.answer().actionId();
    byActionId.remove(actionId);
    byActionId.put(actionId, recorded);
    if (recorded.idempotencyKey() != null) {
      actionIdByKey.put(recorded.idempotencyKey(), actionId);
    }
    Iterator<ActionRecorded> eldest = byActionId.values().iterator();
    while (byActionId.size() > capacity) {
      ActionRecorded evicted = eldest.next();
      eldest.remove();
      if (evicted.idempotencyKey() != null) {
        actionIdByKey.remove(evicted.idempotencyKey(), evicted.answer().actionId());
      }
    }
    return this;
  }

  int size() {
    return byActionId.size();
  }

  Snapshot snapshot() {
    return new Snapshot(new ArrayList<>(byActionId.values()));
  }

  static ActionMemory of(Snapshot snapshot, int capacity) {
    ActionMemory memory = new ActionMemory(capacity);
    snapshot.recorded().forEach(memory::remember);
    return memory;
  }
}
