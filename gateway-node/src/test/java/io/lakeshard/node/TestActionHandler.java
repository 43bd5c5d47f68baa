package io.lakeshard.node;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeshard.core.action.Action;
import io.lakeshard.core.action.ActionContext;
import io.lakeshard.core.action.ActionDescriptor;
import io.lakeshard.core.action.ActionHandler;
import io.lakeshard.core.action.ActionResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connector "tickets", registered through {@code lakeshard.actions.handlers} as a user's would be:
 * {@code create} answers a ticket number and who asked, {@code close} refuses for good. Counts its
 * runs per actionId (the node runs in the test's JVM).
 */
public final class TestActionHandler implements ActionHandler {
  static final Map<String, AtomicInteger> RUNS = new ConcurrentHashMap<>();
  private static final AtomicInteger TICKETS = new AtomicInteger();

  @Override
  public String connector() {
    return "tickets";
  }

  @Override
  public List<ActionDescriptor> actions() {
    ObjectNode schema = JsonNodeFactory.instance.objectNode().put("type", "object");
    return List.of(new ActionDescriptor("create", "opens a ticket", schema),
        new ActionDescriptor("close", "closes a ticket"));
  }

  @Override
  public CompletionStage<ActionResult> execute(Action action, ActionContext context) {
    RUNS.computeIfAbsent(action.actionId(), id -> new AtomicInteger()).incrementAndGet();
    if (action.actionType().equals("close")) {
      return CompletableFuture.completedFuture(new ActionResult.Failed("TICKET_LOCKED", "ticket is locked", false));
    }
    ObjectNode data = JsonNodeFactory.instance.objectNode()
        .put("ticket", TICKETS.incrementAndGet())
        .put("title", action.params().path("title").asText())
        .put("by", context.clientId())
        .put("gateway", context.gatewayId())
        .put("org", String.join(",", context.claims().getOrDefault("org", List.of())));
    return CompletableFuture.completedFuture(ActionResult.done(data));
  }

  static int runs(String actionId) {
    AtomicInteger count = RUNS.get(actionId);
    return count == null ? 0 : count.get();
  }
}
