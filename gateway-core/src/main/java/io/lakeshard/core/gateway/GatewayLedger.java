package io.lakeshard.core.gateway;

import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.buffer.DeltaBuffer;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.RowVersion;
import io.lakeshard.core.gateway.SyncGateway.Push;
import io.lakeshard.core.gateway.SyncGateway.PushAccepted;
import io.lakeshard.core.gateway.SyncGateway.PushRefused;
import io.lakeshard.core.gateway.SyncGateway.Refusal;
import io.lakeshard.core.hlc.ClockDriftException;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.schema.TableSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * The event-sourced half of a {@link SyncGateway}: its buffer, clock and dedupe set, journaled
 * with Pekko Persistence. It takes a group of pushes at a time, decides what wins, writes all
 * accepted deltas as one event, and replies to each push only once that write has committed.
 */
final class GatewayLedger extends EventSourcedBehavior<GatewayLedger.Command, GatewayLedger.Event, GatewayLedger.State> {

  /** Local only: the ledger is always a child of its gateway, on the same node. */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Pushes to decide and journal in one write, in arrival order. */
  record Append(List<Push> pushes) implements Command {}

  record Read(SyncGateway.Pull pull) implements Command {}

  record Describe(int sessions, ActorRef<SyncGateway.Stats> replyTo) implements Command {}

  record Register(SyncGateway.RegisterSchema request) implements Command {}

  sealed interface Event extends CborSerializable {}

  record DeltasAccepted(List<Accepted> deltas) implements Event {}

  record SchemaRegistered(TableSchema schema) implements Event {}

  /** The recovered and live state. Mutated only by the event handler (the clock also by stamping). */
  static final class State {
    final DeltaBuffer buffer = new DeltaBuffer();
    final Map<String, TableSchema> schemas = new HashMap<>();
    final HybridClock clock;

    State(HybridClock clock) {
      this.clock = clock;
    }

    long serverHlc() {
      return Math.max(clock.last(), buffer.lastStamp());
    }
  }

  static Behavior<Command> create(String gatewayId, GatewaySettings settings, ActorRef<SyncGateway.Command> gateway) {
    return new GatewayLedger(gatewayId, settings, gateway);
  }

  private final GatewaySettings settings;
  private final ActorRef<SyncGateway.Command> gateway;

  private GatewayLedger(String gatewayId, GatewaySettings settings, ActorRef<SyncGateway.Command> gateway) {
    super(PersistenceId.of(SyncGateway.ENTITY_TYPE_KEY.name(), gatewayId));
    this.settings = settings;
    this.gateway = gateway;
  }

  @Override
  public State emptyState() {
    return new State(new HybridClock(System::currentTimeMillis, settings.maxClockDrift().toMillis()));
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(Read.class, this::onRead)
        .onCommand(Register.class, this::onRegister)
        .onCommand(Describe.class, (state, describe) -> {
          describe.replyTo().tell(new SyncGateway.Stats(state.buffer.size(), state.buffer.bytes(),
              state.buffer.rowCount(), state.serverHlc(), describe.sessions()));
          return Effect().none();
        })
        .build();
  }

  private Effect<Event, State> onRegister(State state, Register register) {
    TableSchema schema = register.request().schema();
    ActorRef<SyncGateway.SchemaReply> replyTo = register.request().replyTo();
    TableSchema previous = state.schemas.get(schema.table());
    Optional<String> conflict = previous == null ? Optional.empty() : schema.incompatibleWith(previous);
    if (conflict.isPresent()) {
      replyTo.tell(new SyncGateway.SchemaRefused(conflict.get()));
      return Effect().none();
    }
    return Effect().persist(new SchemaRegistered(schema))
        .thenRun(after -> replyTo.tell(new SyncGateway.SchemaSaved(schema.table(), schema.columns().size())));
  }

  /** What the group decided, push by push: the accepted deltas or a refusal. */
  private record Decision(List<Accepted> accepted, PushRefused refused) {}

  private Effect<Event, State> onAppend(State state, Append append) {
    Map<String, RowVersion> pendingRows = new HashMap<>();
    Set<String> pendingIds = new HashSet<>();
    List<Decision> decisions = new ArrayList<>(append.pushes().size());
    List<Accepted> all = new ArrayList<>();
    for (Push push : append.pushes()) {
      Decision decision = decide(state, push, pendingRows, pendingIds);
      decisions.add(decision);
      all.addAll(decision.accepted());
    }
    if (all.isEmpty()) {
      return Effect().none().thenRun(after -> answer(append, decisions, after));
    }
    return Effect().persist(new DeltasAccepted(all)).thenRun(after -> answer(append, decisions, after));
  }

  private void answer(Append append, List<Decision> decisions, State state) {
    long serverHlc = state.serverHlc();
    List<List<RowDelta>> accepted = new ArrayList<>(decisions.size());
    for (int i = 0; i < decisions.size(); i++) {
      Decision decision = decisions.get(i);
      Push push = append.pushes().get(i);
      List<RowDelta> ingested = decision.accepted().stream().map(Accepted::delta).toList();
      push.replyTo().tell(decision.refused() != null
          ? decision.refused()
          : new PushAccepted(serverHlc, push.deltas().size(), ingested));
      accepted.add(ingested);
    }
    gateway.tell(new SyncGateway.GroupWritten(append.pushes(), accepted, serverHlc));
  }

  /**
   * Decides which deltas of a push win, without changing the buffer (the event handler applies
   * them once journaled). Later deltas in the group merge against earlier ones through the
   * pending maps. A refused push leaves the pending maps as they were.
   */
  private static Decision decide(State state, Push push, Map<String, RowVersion> pendingRows, Set<String> pendingIds) {
    try {
      for (RowDelta delta : push.deltas()) {
        validate(delta, push.clientId());
        TableSchema schema = state.schemas.get(delta.table());
        Optional<String> violation = schema == null ? Optional.empty() : schema.violation(delta);
        if (violation.isPresent()) {
          return new Decision(List.of(), new PushRefused(Refusal.SCHEMA_MISMATCH, violation.get()));
        }
      }
      for (RowDelta delta : push.deltas()) {
        state.clock.receive(delta.hlc());
      }
    } catch (InvalidDeltaException e) {
      return new Decision(List.of(), new PushRefused(Refusal.INVALID_DELTA, e.getMessage()));
    } catch (ClockDriftException e) {
      return new Decision(List.of(), new PushRefused(Refusal.CLOCK_DRIFT, e.getMessage()));
    }
    List<Accepted> accepted = new ArrayList<>(push.deltas().size());
    for (RowDelta delta : push.deltas()) {
      if (state.buffer.hasSeen(delta.deltaId()) || !pendingIds.add(delta.deltaId())) {
        continue;
      }
      RowVersion row = pendingRows.getOrDefault(delta.rowKey(), state.buffer.row(delta.rowKey()));
      RowVersion.Merge merge = row.merge(delta);
      if (merge != null) {
        pendingRows.put(delta.rowKey(), merge.after());
        accepted.add(new Accepted(merge.winning(), state.clock.now()));
      }
    }
    return new Decision(accepted, null);
  }

  private static void validate(RowDelta delta, String clientId) throws InvalidDeltaException {
    if (!delta.clientId().equals(clientId)) {
      throw new InvalidDeltaException("delta clientId '" + delta.clientId() + "' differs from the push's '" + clientId + "'");
    }
    if (delta.table().isEmpty() || delta.rowId().isEmpty() || delta.deltaId().isEmpty()) {
      throw new InvalidDeltaException("delta needs a table, a rowId and a deltaId");
    }
    for (var column : delta.columns()) {
      if (column.column().isEmpty()) {
        throw new InvalidDeltaException("column name is required");
      }
    }
  }

  private Effect<Event, State> onRead(State state, Read read) {
    SyncGateway.Pull pull = read.pull();
    DeltaBuffer.Page page = state.buffer.since(pull.since(), pull.limit());
    List<RowDelta> deltas = page.deltas().stream().map(Accepted::delta).toList();
    // With more to come, the cursor is the last stamp returned, so the next page starts right after it.
    long serverHlc = page.hasMore() ? page.deltas().get(page.deltas().size() - 1).stamp() : state.serverHlc();
    pull.replyTo().tell(new SyncGateway.PullReply(deltas, serverHlc, page.hasMore()));
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(DeltasAccepted.class, (state, event) -> {
          for (Accepted accepted : event.deltas()) {
            RowDelta delta = accepted.delta();
            RowVersion.Merge merge = state.buffer.row(delta.rowKey()).merge(delta);
            state.buffer.append(accepted, merge == null ? state.buffer.row(delta.rowKey()) : merge.after());
            state.clock.advanceTo(accepted.stamp());
          }
          return state;
        })
        .onEvent(SchemaRegistered.class, (state, event) -> {
          state.schemas.put(event.schema().table(), event.schema());
          return state;
        })
        .build();
  }

  /** A delta that breaks the protocol's rules; its push is refused whole. */
  private static final class InvalidDeltaException extends Exception {
    InvalidDeltaException(String message) {
      super(message);
    }
  }
}
