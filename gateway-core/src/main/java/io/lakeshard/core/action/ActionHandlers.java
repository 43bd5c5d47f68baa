package io.lakeshard.core.action;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A node's registered handlers, by connector name. */
public final class ActionHandlers {
  private final Map<String, ActionHandler> byConnector = new LinkedHashMap<>();

  /** Fails when two handlers claim one connector (a configuration mistake, caught at start). */
  public ActionHandlers(List<ActionHandler> handlers) {
    for (ActionHandler handler : handlers) {
      ActionHandler before = byConnector.putIfAbsent(handler.connector(), handler);
      if (before != null) {
        throw new IllegalArgumentException("connector '" + handler.connector() + "' has two action handlers: "
            + before.getClass().getName() + " and " + handler.getClass().getName());
      }
    }
  }

  public Optional<ActionHandler> find(String connector) {
    return Optional.ofNullable(byConnector.get(connector));
  }

  /** Connector name to its action types, LakeSync's {@code ActionDiscovery.connectors}. */
  public Map<String, List<ActionDescriptor>> describe() {
    Map<String, List<ActionDescriptor>> connectors = new LinkedHashMap<>();
    byConnector.forEach((name, handler) -> connectors.put(name, List.copyOf(handler.actions())));
    return Collections.unmodifiableMap(connectors);
  }
}
