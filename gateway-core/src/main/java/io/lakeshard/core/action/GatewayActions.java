package io.lakeshard.core.action;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.hlc.HybridClock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway's actions (one entity per gateway id, beside its {@code SyncGateway}): runs each
 * action through its connector's handler and remembers the answer, so a repeated actionId or
 * idempotency key is answered again without running twice, also after a restart or on another
 * node. Requests are taken one at a time and their actions in order, as LakeSync's dispatcher
 * awaits each; a repeat therefore never races its first run. Apart from the gateway entity so a
 * slow connector never holds up pushes and pulls, and the gateway's journal and snapshots keep
 * their format.
 *
 * <p>An answer is journaled before it is given ({@link ActionRecorded}); retryable failures and
 * unknown connectors or types are not remembered. The memory is bounded
 * ({@code lakeshard.actions.remember}) and so is the journal: a snapshot every
 * {@code snapshot-every} answers, with the events before the previous one deleted.
 */
public final class GatewayActions extends EventSourcedBehavior<GatewayActions.Command, ActionRecorded, ActionMemory> {
  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "GatewayActions");
  /** Handlers are called on this dispatcher (reference.conf), never on the entity's thread. */
  public static final String DISPATCHER = "lakeshard.action-dispatcher";

  private static final Logger log = LoggerFactory.getLogger(GatewayActions.class);

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /** Runs (or answers from memory) {@code actions} in order; one reply for all of them. */
  public record Execute(List<Action> actions, ActionContext context, ActorRef<ExecuteReply> replyTo)
      implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = Executed.class, name = "executed"),
      @JsonSubTypes.Type(value = NotJournaled.class, name = "not-journaled")})
  public sealed interface ExecuteReply extends CborSerializable {}

  /** One answer per action, in the request's order; {@code serverHlc} when the last was given. */
  public record Executed(List<ActionAnswer> results, long serverHlc) implements ExecuteReply {}

  /** An answer could not be journaled (the entity restarts); the action may have run: retry the request. */
  public record NotJournaled(String message) implements ExecuteReply {}

  /** A handler's result, back on the entity; {@code run} tells a stale one (from before a restart) apart. */
  private record HandlerAnswered(long run, Action action, ActionResult result)
      implements Command, NoSerializationVerificationNeeded {}

  // ---- wiring ----

  public static void init(ActorSystem<?> system, ActionSettings settings, ActionHandlers handlers) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY,
        entity -> create(entity.getEntityId(), settings, handlers)));
  }

  public static Behavior<Command> create(String gatewayId, ActionSettings settings, ActionHandlers handlers) {
    return Behaviors.setup(context -> new GatewayActions(gatewayId, settings, handlers, context));
  }

  /** A request being answered: its actions, the answers so far. */
  private static final class Run {
    final long id;
    final Execute request;
    final List<ActionAnswer> answers = new ArrayList<>();

    Run(long id, Execute request) {
      this.id = id;
      this.request = request;
    }

    boolean done() {
      return answers.size() == request.actions().size();
    }

    Action next() {
      return request.actions().get(answers.size());
    }
  }

  private final String gatewayId;
  private final ActionSettings settings;
  private final ActionHandlers handlers;
  private final ActorContext<Command> context;
  private final Executor executor;
  /** Stamps answers; never receives a client's HLC, so no drift limit applies. */
  private final HybridClock clock = new HybridClock(System::currentTimeMillis, Long.MAX_VALUE);
  // These fields outlive a restart (this object is the behaviour's factory): recovery answers the
  // run whose write failed and carries on with the waiting ones.
  private final ArrayDeque<Execute> waiting = new ArrayDeque<>();
  private Run current;
  private long runs;
  /** What {@link #emptyState()} returned; no event is applied to it (see DurableStream's note). */
  private ActionMemory initial;

  private GatewayActions(String gatewayId, ActionSettings settings, ActionHandlers handlers,
                         ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), gatewayId), settings.journalBackoff().restarts());
    this.gatewayId = gatewayId;
    this.settings = settings;
    this.handlers = handlers;
    this.context = context;
    this.executor = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER));
  }

  @Override
  public ActionMemory emptyState() {
    initial = new ActionMemory(settings.remember());
    return initial;
  }

  @Override
  public EventHandler<ActionMemory, ActionRecorded> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((memory, recorded) -> {
      if (recorded.answer() instanceof ActionAnswer.Succeeded succeeded) {
        clock.advanceTo(succeeded.serverHlc());
      }
      return (memory == initial ? new ActionMemory(settings.remember()) : memory).remember(recorded);
    });
  }

  @Override
  public CommandHandler<Command, ActionRecorded, ActionMemory> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Execute.class, (memory, execute) -> {
          waiting.add(execute);
          if (current == null) {
            advance(memory);
          }
          return Effect().none();
        })
        .onCommand(HandlerAnswered.class, this::onHandlerAnswered)
        .build();
  }

  private Effect<ActionRecorded, ActionMemory> onHandlerAnswered(ActionMemory memory, HandlerAnswered answered) {
    if (current == null || answered.run() != current.id) {
      return Effect().none();
    }
    ActionAnswer answer = answerOf(answered.action(), answered.result());
    if (answer instanceof ActionAnswer.Errored errored && errored.retryable()) {
      current.answers.add(answer);
      advance(memory);
      return Effect().none();
    }
    return Effect().persist(new ActionRecorded(answered.action().idempotencyKey(), answer))
        .thenRun(recorded -> {
          current.answers.add(answer);
          advance(recorded);
        });
  }

  /**
   * Answers actions from memory or as unsupported until one needs its handler (started here, its
   * result comes back as {@link HandlerAnswered}) or no request is left.
   */
  private void advance(ActionMemory memory) {
    while (true) {
      if (current == null) {
        Execute next = waiting.poll();
        if (next == null) {
          return;
        }
        current = new Run(++runs, next);
      }
      if (current.done()) {
        current.request.replyTo().tell(new Executed(List.copyOf(current.answers), clock.now()));
        current = null;
        continue;
      }
      Action action = current.next();
      Optional<ActionAnswer> remembered = memory.find(action);
      if (remembered.isPresent()) {
        current.answers.add(remembered.get());
        continue;
      }
      Optional<ActionHandler> handler = handlers.find(action.connector());
      if (handler.isEmpty()) {
        current.answers.add(notSupported(action,
            "No action handler registered for connector \"" + action.connector() + "\""));
      } else if (handler.get().actions().stream().noneMatch(d -> d.actionType().equals(action.actionType()))) {
        current.answers.add(notSupported(action, "Action type \"" + action.actionType()
            + "\" not supported by connector \"" + action.connector() + "\""));
      } else {
        start(handler.get(), action);
        return;
      }
    }
  }

  private void start(ActionHandler handler, Action action) {
    long run = current.id;
    ActionContext actionContext = current.request.context();
    CompletionStage<ActionResult> result = CompletableFuture
        .supplyAsync(() -> handler.execute(action, actionContext), executor)
        .thenCompose(Function.identity())
        .toCompletableFuture()
        .orTimeout(settings.handlerTimeout().toMillis(), TimeUnit.MILLISECONDS);
    context.pipeToSelf(result, (done, failure) -> new HandlerAnswered(run, action,
        failure == null && done != null ? done : failed(handler, action, failure)));
  }

  private ActionResult failed(ActionHandler handler, Action action, Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof TimeoutException) {
      return ActionResult.failed("connector \"" + action.connector() + "\" did not answer within "
          + settings.handlerTimeout().toMillis() + " ms", true);
    }
    if (cause == null) {
      return ActionResult.failed("connector \"" + action.connector() + "\" returned no result", false);
    }
    log.warn("action {} of gateway {} failed in {}: {}", action.actionId(), gatewayId,
        handler.getClass().getName(), cause.toString());
    return ActionResult.failed(cause.getMessage() == null ? cause.toString() : cause.getMessage(), true);
  }

  private ActionAnswer answerOf(Action action, ActionResult result) {
    if (result instanceof ActionResult.Done done) {
      return new ActionAnswer.Succeeded(action.actionId(), done.data() == null ? "{}" : done.data().toString(),
          clock.now());
    }
    ActionResult.Failed failed = (ActionResult.Failed) result;
    return new ActionAnswer.Errored(action.actionId(), failed.code(), failed.message(), failed.retryable());
  }

  private static ActionAnswer notSupported(Action action, String message) {
    return new ActionAnswer.Errored(action.actionId(), ActionResult.NOT_SUPPORTED, message, false);
  }

  /** The memory is mutable: the snapshot store, which serializes on its own thread, gets a copy. */
  @Override
  public SnapshotAdapter<ActionMemory> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(ActionMemory memory) {
        return memory.snapshot();
      }

      @Override
      public ActionMemory fromJournal(Object from) {
        return ActionMemory.of((ActionMemory.Snapshot) from, settings.remember());
      }
    };
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 1).withDeleteEventsOnSnapshot();
  }

  /**
   * After a journal failure the run whose answer was not written is told so (its action may
   * have run; a retry may run it again), and the waiting requests go on.
   */
  @Override
  public SignalHandler<ActionMemory> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), memory -> {
      if (current != null) {
        log.warn("gateway {} could not journal an action's answer; its request is answered as not done", gatewayId);
        current.request.replyTo().tell(new NotJournaled("the answer to action " + current.next().actionId()
            + " could not be journaled; the action may have run, retry the request"));
        current = null;
      }
      advance(memory);
    }).build();
  }
}
