package io.lakeshard.core.gateway;

import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.buffer.DeltaBuffer;
import io.lakeshard.core.buffer.DeltaIdWindow;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.RowVersion;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.gateway.SyncGateway.Push;
import io.lakeshard.core.gateway.SyncGateway.PushAccepted;
import io.lakeshard.core.gateway.SyncGateway.PushRefused;
import io.lakeshard.core.gateway.SyncGateway.Refusal;
import io.lakeshard.core.hlc.ClockDriftException;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.paging.Pages;
import io.lakeshard.core.schema.TableSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

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

  /** The gateway wants to flush: the ledger answers with {@link SyncGateway.FlushReady}. */
  record PlanFlush() implements Command {}

  /** A flush is committed to the lake: journal it, drop what it wrote, answer {@link SyncGateway.FlushRecorded}. */
  record RecordFlush(FlushResult result) implements Command {}

  sealed interface Event extends CborSerializable {}

  record DeltasAccepted(List<Accepted> deltas) implements Event {}

  record SchemaRegistered(TableSchema schema) implements Event {}

  /** Flush {@code seq} will write every delta stamped up to {@code upTo}; journaled before it runs. */
  record FlushPlanned(long seq, long upTo) implements Event {}

  /** Flush {@code seq} is committed to the lake, into {@code tables}. */
  record Flushed(long seq, long upTo, List<String> tables) implements Event {}

  /** The recovered and live state. Mutated only by the event handler (the clock also by stamping). */
  static final class State {
    final DeltaBuffer buffer;
    final Map<String, TableSchema> schemas;
    final HybridClock clock;
    /** The last committed flush, and the stamp it reached: older stamps are read from the lake. */
    long flushSeq;
    long flushedUpTo;
    /** A flush journaled as planned but not yet as done (it runs, or a crash interrupted it). */
    FlushPlanned pendingFlush;
    final Set<String> flushedTables;

    State(HybridClock clock, DeltaBuffer buffer, Map<String, TableSchema> schemas, long flushSeq, long flushedUpTo,
          FlushPlanned pendingFlush, Set<String> flushedTables) {
      this.clock = clock;
      this.buffer = buffer;
      this.schemas = new HashMap<>(schemas);
      this.flushSeq = flushSeq;
      this.flushedUpTo = flushedUpTo;
      this.pendingFlush = pendingFlush;
      this.flushedTables = new TreeSet<>(flushedTables);
    }

    long serverHlc() {
      return Math.max(clock.last(), buffer.lastStamp());
    }

    SyncGateway.BufferLevel level() {
      return new SyncGateway.BufferLevel(buffer.bytes(), buffer.oldestStamp());
    }
  }

  /**
   * The state as a snapshot holds it, taken after each flush so recovery replays only what came
   * since. {@code seenIds} is the dedupe window as {@link DeltaIdWindow#toBytes()} writes it;
   * snapshots of earlier versions hold {@code seenDeltaIds} (the ids as text) instead.
   */
  record Snapshot(long clock, List<Accepted> log, Map<String, RowVersion> rows, List<String> seenDeltaIds,
                  byte[] seenIds, List<TableSchema> schemas, long flushSeq, long flushedUpTo,
                  FlushPlanned pendingFlush, List<String> flushedTables) implements CborSerializable {

    DeltaIdWindow dedupeWindow() {
      if (seenIds != null) {
        return DeltaIdWindow.fromBytes(seenIds);
      }
      DeltaIdWindow window = new DeltaIdWindow();
      (seenDeltaIds == null ? List.<String>of() : seenDeltaIds).forEach(window::add);
      return window;
    }
  }

  static Behavior<Command> create(String gatewayId, GatewaySettings settings, GatewayLake lake, Executor lakeExecutor,
                                  ActorRef<SyncGateway.Command> gateway) {
    return new GatewayLedger(gatewayId, settings, lake, lakeExecutor, gateway);
  }

  private final String gatewayId;
  private final GatewaySettings settings;
  private final GatewayLake lake;
  private final Executor lakeExecutor;
  private final ActorRef<SyncGateway.Command> gateway;

  private GatewayLedger(String gatewayId, GatewaySettings settings, GatewayLake lake, Executor lakeExecutor,
                        ActorRef<SyncGateway.Command> gateway) {
    super(PersistenceId.of(SyncGateway.ENTITY_TYPE_KEY.name(), gatewayId));
    this.gatewayId = gatewayId;
    this.settings = settings;
    this.lake = lake;
    this.lakeExecutor = lakeExecutor;
    this.gateway = gateway;
  }

  private HybridClock newClock() {
    return new HybridClock(System::currentTimeMillis, settings.maxClockDrift().toMillis());
  }

  @Override
  public State emptyState() {
    return new State(newClock(), new DeltaBuffer(), Map.of(), 0, 0, null, Set.of());
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return new Snapshot(state.clock.last(), state.buffer.log(), state.buffer.rows(), null,
            state.buffer.seenDeltaIds(), List.copyOf(state.schemas.values()), state.flushSeq, state.flushedUpTo,
            state.pendingFlush, List.copyOf(state.flushedTables));
      }

      @Override
      public State fromJournal(Object from) {
        Snapshot snapshot = (Snapshot) from;
        HybridClock clock = newClock();
        clock.advanceTo(snapshot.clock());
        Map<String, TableSchema> schemas = new HashMap<>();
        snapshot.schemas().forEach(schema -> schemas.put(schema.table(), schema));
        return new State(clock, new DeltaBuffer(snapshot.log(), snapshot.rows(), snapshot.dedupeWindow()), schemas,
            snapshot.flushSeq(), snapshot.flushedUpTo(), snapshot.pendingFlush(), new HashSet<>(snapshot.flushedTables()));
      }
    };
  }

  /** After a flush the buffer is small: the moment to snapshot, so recovery time does not grow with age. */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    return event instanceof Flushed;
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state ->
            gateway.tell(new SyncGateway.LedgerRecovered(state.level(), state.pendingFlush != null)))
        .build();
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(Read.class, this::onRead)
        .onCommand(Register.class, this::onRegister)
        .onCommand(PlanFlush.class, this::onPlanFlush)
        .onCommand(RecordFlush.class, this::onRecordFlush)
        .onCommand(Describe.class, (state, describe) -> {
          describe.replyTo().tell(new SyncGateway.Stats(state.buffer.size(), state.buffer.bytes(),
              state.buffer.rowCount(), state.serverHlc(), describe.sessions(), state.flushSeq, state.flushedUpTo));
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
    int deltas = append.pushes().stream().mapToInt(push -> push.deltas().size()).sum();
    int capacity = (int) (deltas / 0.75f) + 1; // sized once: these maps see every delta of the group
    Map<String, RowVersion> pendingRows = new HashMap<>(capacity);
    Set<String> pendingIds = new HashSet<>(capacity);
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
    gateway.tell(new SyncGateway.GroupWritten(append.pushes(), accepted, serverHlc, state.level()));
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
      String rowKey = delta.rowKey();
      RowVersion row = pendingRows.get(rowKey);
      RowVersion.Merge merge = (row != null ? row : state.buffer.row(rowKey)).merge(delta);
      if (merge != null) {
        pendingRows.put(rowKey, merge.after());
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

  private Effect<Event, State> onPlanFlush(State state, PlanFlush plan) {
    if (state.pendingFlush != null) {
      gateway.tell(new SyncGateway.FlushReady(planOf(state, state.pendingFlush)));
      return Effect().none();
    }
    if (state.buffer.size() == 0) {
      gateway.tell(new SyncGateway.FlushReady(null));
      return Effect().none();
    }
    return Effect().persist(new FlushPlanned(state.flushSeq + 1, state.buffer.lastStamp()))
        .thenRun(after -> gateway.tell(new SyncGateway.FlushReady(planOf(after, after.pendingFlush))));
  }

  private FlushPlan planOf(State state, FlushPlanned planned) {
    return new FlushPlan(gatewayId, planned.seq(), planned.upTo(), state.buffer.through(planned.upTo()),
        Map.copyOf(state.schemas));
  }

  private Effect<Event, State> onRecordFlush(State state, RecordFlush record) {
    FlushResult result = record.result();
    List<String> tables = result.files().stream().map(file -> tableName(file.table())).distinct().toList();
    return Effect().persist(new Flushed(result.seq(), result.upTo(), tables))
        .thenRun(after -> gateway.tell(new SyncGateway.FlushRecorded(result, after.level())));
  }

  /** Iceberg names tables {@code catalogue.namespace.table}; the ledger keeps the user's table name. */
  private static String tableName(String icebergName) {
    return icebergName.substring(icebergName.lastIndexOf('.') + 1);
  }

  private Effect<Event, State> onRead(State state, Read read) {
    SyncGateway.Pull pull = read.pull();
    if (Long.compareUnsigned(pull.since(), state.flushedUpTo) >= 0) {
      DeltaBuffer.Page page = state.buffer.since(pull.since(), pull.limit());
      pull.replyTo().tell(pullReply(page.deltas(), page.hasMore(), state.serverHlc()));
      return Effect().none();
    }
    readThroughLake(state, pull);
    return Effect().none();
  }

  /**
   * A cursor older than the buffer: the flushed part comes from the lake, off the actor, then
   * the buffer's head (captured now, with the flush point, so the two never overlap or leave a gap).
   */
  private void readThroughLake(State state, SyncGateway.Pull pull) {
    long upTo = state.flushedUpTo;
    List<String> tables = List.copyOf(state.flushedTables);
    DeltaBuffer.Page bufferHead = state.buffer.since(upTo, pull.limit());
    long serverHlc = state.serverHlc();
    CompletableFuture.supplyAsync(() -> {
      try {
        return lake.read(gatewayId, tables, pull.since(), upTo, pull.limit());
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, lakeExecutor).whenComplete((flushed, error) -> {
      if (error != null) {
        pull.replyTo().tell(new SyncGateway.PullFailed("cannot read flushed deltas from the lake: "
            + (error.getCause() != null ? error.getCause() : error)));
        return;
      }
      List<Accepted> page = new ArrayList<>(flushed.subList(0, Math.min(flushed.size(), pull.limit())));
      int room = pull.limit() - page.size();
      page.addAll(bufferHead.deltas().subList(0, Math.min(room, bufferHead.deltas().size())));
      boolean hasMore = flushed.size() > pull.limit() || bufferHead.deltas().size() > room || bufferHead.hasMore();
      pull.replyTo().tell(pullReply(page, hasMore, serverHlc));
    });
  }

  /**
   * A page cut to {@code pull.max-bytes} (it crosses the cluster as one message). With more to
   * come, the cursor is the last stamp returned, so the next page starts right after it.
   */
  private SyncGateway.PullReply pullReply(List<Accepted> page, boolean hasMore, long serverHlc) {
    int fits = Pages.fitting(page, accepted -> accepted.delta().sizeBytes(), settings.maxPullBytes());
    if (fits < page.size()) {
      page = page.subList(0, fits);
      hasMore = true;
    }
    List<RowDelta> deltas = page.stream().map(Accepted::delta).toList();
    return new SyncGateway.PullReply(deltas, hasMore ? page.get(page.size() - 1).stamp() : serverHlc, hasMore);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(DeltasAccepted.class, (state, event) -> {
          for (Accepted accepted : event.deltas()) {
            String rowKey = accepted.delta().rowKey();
            RowVersion row = state.buffer.row(rowKey);
            RowVersion.Merge merge = row.merge(accepted.delta());
            state.buffer.append(accepted, rowKey, merge == null ? row : merge.after());
            state.clock.advanceTo(accepted.stamp());
          }
          return state;
        })
        .onEvent(SchemaRegistered.class, (state, event) -> {
          state.schemas.put(event.schema().table(), event.schema());
          return state;
        })
        .onEvent(FlushPlanned.class, (state, event) -> {
          state.pendingFlush = event;
          return state;
        })
        .onEvent(Flushed.class, (state, event) -> {
          state.buffer.dropThrough(event.upTo(), settings.dedupeWindow());
          state.flushSeq = event.seq();
          state.flushedUpTo = event.upTo();
          state.pendingFlush = null;
          state.flushedTables.addAll(event.tables());
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
