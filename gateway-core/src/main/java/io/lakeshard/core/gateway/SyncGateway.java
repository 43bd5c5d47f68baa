package io.lakeshard.core.gateway;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.buffer.DeltaBuffer;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.DeltaIds;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.RowVersion;
import io.lakeshard.core.hlc.ClockDriftException;
import io.lakeshard.core.hlc.HybridClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One sync gateway: the single owner of its buffer and its WebSocket sessions (a Durable
 * Object's role). A push is validated, deduplicated, merged last-writer-wins, stamped, journaled,
 * and only then acknowledged and broadcast to the gateway's other sessions.
 */
public final class SyncGateway
    extends EventSourcedBehaviorWithEnforcedReplies<SyncGateway.Command, SyncGateway.Event, SyncGateway.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "SyncGateway");

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /** Deltas from {@code clientId}; {@code origin} is the pushing WebSocket session, if any. */
  public record Push(String clientId, List<RowDelta> deltas, ActorRef<Broadcast> origin,
                     ActorRef<PushReply> replyTo) implements Command {}

  public record Pull(long since, int limit, ActorRef<PullReply> replyTo) implements Command {}

  /** A WebSocket session joins the gateway; it leaves when it stops or sends {@link Unsubscribe}. */
  public record Subscribe(ActorRef<Broadcast> session) implements Command {}

  public record Unsubscribe(ActorRef<Broadcast> session) implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = PushAccepted.class, name = "accepted"),
      @JsonSubTypes.Type(value = PushRefused.class, name = "refused")})
  public sealed interface PushReply extends CborSerializable {}

  /** {@code accepted} counts deltas that won at least in part; duplicates and losers are acknowledged too. */
  public record PushAccepted(long serverHlc, int accepted) implements PushReply {}

  public record PushRefused(Refusal reason, String message) implements PushReply {}

  public enum Refusal {
    INVALID_DELTA,
    CLOCK_DRIFT
  }

  public record PullReply(List<RowDelta> deltas, long serverHlc, boolean hasMore) implements CborSerializable {}

  /** Deltas accepted from another client, sent to every session but the pusher's. */
  public record Broadcast(List<RowDelta> deltas, long serverHlc) implements CborSerializable {}

  // ---- events ----

  public sealed interface Event extends CborSerializable {}

  public record DeltasAccepted(List<Accepted> deltas) implements Event {}

  // ---- state ----

  /** The recovered and live state. Mutated only by the event handler. */
  public static final class State {
    final DeltaBuffer buffer = new DeltaBuffer();
    final HybridClock clock;

    State(HybridClock clock) {
      this.clock = clock;
    }

    long serverHlc() {
      return Math.max(clock.last(), buffer.lastStamp());
    }
  }

  // ---- wiring ----

  public static void init(ActorSystem<?> system, GatewaySettings settings) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_TYPE_KEY, entityContext -> create(entityContext.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String gatewayId, GatewaySettings settings) {
    return Behaviors.setup(context -> new SyncGateway(gatewayId, settings, context));
  }

  private final String gatewayId;
  private final GatewaySettings settings;
  private final ActorContext<Command> context;
  private final Set<ActorRef<Broadcast>> sessions = new HashSet<>();

  private SyncGateway(String gatewayId, GatewaySettings settings, ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), gatewayId));
    this.gatewayId = gatewayId;
    this.settings = settings;
    this.context = context;
  }

  @Override
  public State emptyState() {
    return new State(new HybridClock(System::currentTimeMillis, settings.maxClockDrift().toMillis()));
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Push.class, this::onPush)
        .onCommand(Pull.class, this::onPull)
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(Unsubscribe.class, this::onUnsubscribe)
        .build();
  }

  private ReplyEffect<Event, State> onPush(State state, Push push) {
    List<Accepted> accepted;
    try {
      accepted = accept(state, push);
    } catch (InvalidDeltaException e) {
      return Effect().reply(push.replyTo(), new PushRefused(Refusal.INVALID_DELTA, e.getMessage()));
    } catch (ClockDriftException e) {
      return Effect().reply(push.replyTo(), new PushRefused(Refusal.CLOCK_DRIFT, e.getMessage()));
    }
    if (accepted.isEmpty()) {
      return Effect().reply(push.replyTo(), new PushAccepted(state.serverHlc(), 0));
    }
    return Effect().persist(new DeltasAccepted(accepted))
        .thenRun(after -> broadcast(accepted, after.serverHlc(), push.origin()))
        .thenReply(push.replyTo(), after -> new PushAccepted(after.serverHlc(), accepted.size()));
  }

  /**
   * Decides which deltas of a push win, without changing the buffer: the event handler applies
   * them once they are journaled. Later deltas of the same push merge against earlier ones.
   */
  private List<Accepted> accept(State state, Push push) throws InvalidDeltaException, ClockDriftException {
    for (RowDelta delta : push.deltas()) {
      validate(delta, push.clientId());
    }
    for (RowDelta delta : push.deltas()) {
      state.clock.receive(delta.hlc());
    }
    Map<String, RowVersion> pending = new HashMap<>();
    Set<String> pendingIds = new HashSet<>();
    List<Accepted> accepted = new ArrayList<>(push.deltas().size());
    for (RowDelta delta : push.deltas()) {
      RowDelta identified = delta.deltaId().isEmpty()
          ? new RowDelta(delta.op(), delta.table(), delta.rowId(), delta.clientId(), delta.columns(), delta.hlc(),
              DeltaIds.compute(delta.clientId(), delta.hlc(), delta.table(), delta.rowId(), delta.columns()))
          : delta;
      if (state.buffer.hasSeen(identified.deltaId()) || !pendingIds.add(identified.deltaId())) {
        continue;
      }
      RowVersion row = pending.getOrDefault(identified.rowKey(), state.buffer.row(identified.rowKey()));
      RowVersion.Merge merge = row.merge(identified);
      if (merge != null) {
        pending.put(identified.rowKey(), merge.after());
        accepted.add(new Accepted(merge.winning(), state.clock.now()));
      }
    }
    return accepted;
  }

  private static void validate(RowDelta delta, String clientId) throws InvalidDeltaException {
    if (!delta.clientId().equals(clientId)) {
      throw new InvalidDeltaException("delta clientId '" + delta.clientId() + "' differs from the push's '" + clientId + "'");
    }
    if (delta.table().isEmpty() || delta.rowId().isEmpty()) {
      throw new InvalidDeltaException("delta needs a table and a rowId");
    }
    if (delta.op() == null) {
      throw new InvalidDeltaException("delta needs an op");
    }
  }

  private void broadcast(List<Accepted> accepted, long serverHlc, ActorRef<Broadcast> origin) {
    if (sessions.isEmpty() || (sessions.size() == 1 && sessions.contains(origin))) {
      return;
    }
    Broadcast message = new Broadcast(accepted.stream().map(Accepted::delta).toList(), serverHlc);
    for (ActorRef<Broadcast> session : sessions) {
      if (!session.equals(origin)) {
        session.tell(message);
      }
    }
  }

  private ReplyEffect<Event, State> onPull(State state, Pull pull) {
    DeltaBuffer.Page page = state.buffer.since(pull.since(), pull.limit());
    List<RowDelta> deltas = page.deltas().stream().map(Accepted::delta).toList();
    // With more to come, the cursor is the last stamp returned, so the next page starts right after it.
    long serverHlc = page.hasMore() ? page.deltas().get(page.deltas().size() - 1).stamp() : state.serverHlc();
    return Effect().reply(pull.replyTo(), new PullReply(deltas, serverHlc, page.hasMore()));
  }

  private ReplyEffect<Event, State> onSubscribe(State state, Subscribe subscribe) {
    if (sessions.add(subscribe.session())) {
      context.watchWith(subscribe.session(), new Unsubscribe(subscribe.session()));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onUnsubscribe(State state, Unsubscribe unsubscribe) {
    if (sessions.remove(unsubscribe.session())) {
      context.unwatch(unsubscribe.session());
    }
    return Effect().noReply();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(DeltasAccepted.class, (state, event) -> {
          for (Accepted accepted : event.deltas()) {
            RowDelta delta = accepted.delta();
            RowVersion.Merge merge = state.buffer.row(delta.rowKey()).merge(delta);
            RowVersion after = merge == null ? state.buffer.row(delta.rowKey()) : merge.after();
            state.buffer.append(accepted, after);
            state.clock.advanceTo(accepted.stamp());
          }
          return state;
        })
        .build();
  }

  /** A delta that breaks the protocol's rules; the push is refused whole. */
  static final class InvalidDeltaException extends Exception {
    InvalidDeltaException(String message) {
      super(message);
    }
  }

  @Override
  public String toString() {
    return "SyncGateway(" + gatewayId + ")";
  }
}
