package io.lakeshard.core.gateway;

import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.buffer.DeltaBuffer;
import io.lakeshard.core.buffer.DeltaIdWindow;
import io.lakeshard.core.checkpoint.CheckpointSource;
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
import io.lakeshard.core.journal.JournalPruner;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.rules.RowFilter;
import io.lakeshard.core.rules.SyncRules;
import io.lakeshard.core.schema.TableSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The event-sourced half of a {@link SyncGateway}: its buffer, clock and dedupe set, journaled
 * with Pekko Persistence. It takes a group of pushes at a time, decides what wins, writes all
 * accepted deltas as one event, and replies to each push only once that write has committed.
 *
 * <p>After each flush it snapshots and deletes the events and snapshots before that snapshot
 * ({@link JournalPruner}), so the journal holds what came since the last flush. A failed journal
 * write restarts it with backoff ({@code lakeshard.entity.journal-backoff}): commands waiting
 * meanwhile are kept, and the command whose write failed is answered as not done.
 */
final class GatewayLedger
    extends EventSourcedBehaviorWithEnforcedReplies<GatewayLedger.Command, GatewayLedger.Event, GatewayLedger.State> {

  /** Local only: the ledger is always a child of its gateway, on the same node. */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Pushes to decide and journal in one write, in arrival order; {@code sentNanos}: when the gateway sent it. */
  record Append(List<Push> pushes, long sentNanos) implements Command {}

  record Read(SyncGateway.Pull pull) implements Command {}

  /**
   * {@code peakBufferBytes}: the gateway's high-water mark, which it tracks (LakeSync's DO keeps it
   * in memory too), as it does its {@code flushing}.
   */
  record Describe(int sessions, long peakBufferBytes, SyncGateway.FlushStatus flushing,
                  ActorRef<SyncGateway.Stats> replyTo) implements Command {}

  record Register(SyncGateway.RegisterSchema request) implements Command {}

  record SaveRules(SyncGateway.SaveSyncRules request) implements Command {}

  record ReadRules(ActorRef<SyncGateway.CurrentSyncRules> replyTo) implements Command {}

  /** The gateway wants to flush: the ledger answers with {@link FlushReady}. */
  record PlanFlush() implements Command {}

  /** A flush is committed to the lake: journal it, drop what it wrote, answer {@link FlushRecorded}. */
  record RecordFlush(FlushResult result) implements Command {}

  /**
   * The gateway writes a checkpoint as of stamp {@code at} (0: as of now): the ledger answers with
   * {@link CheckpointCaptured}. A stamp must be one this gateway has passed (a pull's serverHlc),
   * so nothing it accepts later is stamped at or below it.
   */
  record CaptureCheckpoint(long at) implements Command {}

  /** What the ledger tells its gateway (through a message adapter: nothing outside the package sends these). */
  sealed interface Reply extends NoSerializationVerificationNeeded {}

  /**
   * The journal is replayed (at start, or after a restart); {@code flushPending}: a flush was
   * interrupted; {@code rules}: the sync rules (null: none).
   */
  record Recovered(BufferLevel level, boolean flushPending, SyncRules rules) implements Reply {}

  /** New sync rules are journaled: the gateway's sessions follow them. */
  record RulesChanged(SyncRules rules) implements Reply {}

  /**
   * A group of pushes is decided (and journaled, or not: see {@link #answerUnjournaled}); {@code accepted} lines up
   * with the pushes; {@code journalNanos}: from the group's send to its answer.
   */
  record GroupWritten(List<Push> pushes, List<List<RowDelta>> accepted, long serverHlc, BufferLevel level,
                      long journalNanos) implements Reply {}

  /** What to flush, or null when the buffer is empty. */
  record FlushReady(FlushPlan plan) implements Reply {}

  /** The flush is journaled and its deltas dropped from the buffer. */
  record FlushRecorded(FlushResult result, BufferLevel level) implements Reply {}

  /** Journaling a flush step (its plan, or its result) failed: the flush is to be retried. */
  record FlushNotJournaled(String step) implements Reply {}

  /** Everything a checkpoint as of now needs, taken in one step. */
  record CheckpointCaptured(CheckpointSource source) implements Reply {}

  /** How much is unflushed, and the stamp of its oldest delta (0 when empty). */
  record BufferLevel(long bytes, long oldestStamp) {}

  sealed interface Event extends CborSerializable {}

  record DeltasAccepted(List<Accepted> deltas) implements Event {}

  record SchemaRegistered(TableSchema schema) implements Event {}

  /** The gateway's sync rules from now on (they replace any before). */
  record SyncRulesSet(SyncRules rules) implements Event {}

  /** Flush {@code seq} will write every delta stamped up to {@code upTo}; journaled before it runs. */
  record FlushPlanned(long seq, long upTo) implements Event {}

  /** Flush {@code seq} is committed to the lake, into {@code tables}. */
  record Flushed(long seq, long upTo, List<String> tables) implements Event {}

  /** The recovered and live state. Mutated only by the event handler (the clock also by stamping and replies). */
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
    /** Null until an admin saves some. */
    SyncRules rules;

    State(HybridClock clock, DeltaBuffer buffer, Map<String, TableSchema> schemas, long flushSeq, long flushedUpTo,
          FlushPlanned pendingFlush, Set<String> flushedTables, SyncRules rules) {
      this.clock = clock;
      this.buffer = buffer;
      this.schemas = new HashMap<>(schemas);
      this.flushSeq = flushSeq;
      this.flushedUpTo = flushedUpTo;
      this.pendingFlush = pendingFlush;
      this.flushedTables = new TreeSet<>(flushedTables);
      this.rules = rules;
    }

    long serverHlc() {
      return Math.max(clock.last(), buffer.lastStamp());
    }

    /**
     * The server HLC a reply reports, which clients pull from: the clock's current time, as
     * LakeSync's gateway answers ({@code hlc.now()}), so never 0 (a SyncResponse of 0 and no
     * deltas encodes as zero bytes, which LakeSync's client drops as a short frame and then waits
     * for forever). Every later stamp here is above it. It is not journaled, yet must also stay
     * below the first stamp of the gateway's next owner (after a restart, or on a node whose clock
     * is behind): that owner replays the journaled stamps and starts its clock
     * {@code clock-skew-allowance} ahead of its wall clock (on RecoveryCompleted). So a reply is
     * at most the higher of the journaled stamps and this node's wall clock
     * ({@link HybridClock#nowWithinWall}), never a recovery lead or a client stamp ahead of ours.
     * (Answering the journaled stamps alone needs no lead, but leaves a gateway nobody pushed to
     * only a constant to answer, where LakeSync answers its clock's time.)
     */
    long replyHlc() {
      return Math.max(Math.max(buffer.lastStamp(), flushedUpTo), clock.nowWithinWall());
    }

    BufferLevel level() {
      return new BufferLevel(buffer.bytes(), buffer.oldestStamp());
    }
  }

  /**
   * The state as a snapshot holds it, taken after each flush so recovery replays only what came
   * since. {@code seenIds} is the dedupe window as {@link DeltaIdWindow#toBytes()} writes it;
   * snapshots of earlier versions hold {@code seenDeltaIds} (the ids as text) instead, and no
   * {@code syncRules} (null: none).
   */
  record Snapshot(long clock, List<Accepted> log, Map<String, RowVersion> rows, List<String> seenDeltaIds,
                  byte[] seenIds, List<TableSchema> schemas, long flushSeq, long flushedUpTo,
                  FlushPlanned pendingFlush, List<String> flushedTables, SyncRules syncRules)
      implements CborSerializable {

    DeltaIdWindow dedupeWindow() {
      if (seenIds != null) {
        return DeltaIdWindow.fromBytes(seenIds);
      }
      DeltaIdWindow window = new DeltaIdWindow();
      (seenDeltaIds == null ? List.<String>of() : seenDeltaIds).forEach(window::addIfAbsent);
      return window;
    }
  }

  static Behavior<Command> create(String gatewayId, GatewaySettings settings, LongSupplier wallMillis,
                                  GatewayLake lake, OffActor offActor, ActorRef<Reply> gateway) {
    return Behaviors.setup(context ->
        new GatewayLedger(context, gatewayId, settings, wallMillis, lake, offActor, gateway));
  }

  private final ActorContext<Command> context;
  private final String gatewayId;
  private final GatewaySettings settings;
  private final LongSupplier wallMillis;
  private final GatewayLake lake;
  private final OffActor offActor;
  private final ActorRef<Reply> gateway;
  /**
   * The command whose journal write is in flight, or null. It outlives a restart (this object is
   * the behaviour's factory, kept across restarts), so recovery can tell whose write failed.
   */
  private Command persisting;

  private GatewayLedger(ActorContext<Command> context, String gatewayId, GatewaySettings settings,
                        LongSupplier wallMillis, GatewayLake lake, OffActor offActor, ActorRef<Reply> gateway) {
    super(PersistenceId.of(SyncGateway.ENTITY_TYPE_KEY.name(), gatewayId), settings.journalBackoff().restarts());
    this.context = context;
    this.gatewayId = gatewayId;
    this.settings = settings;
    this.wallMillis = wallMillis;
    this.lake = lake;
    this.offActor = offActor;
    this.gateway = gateway;
  }

  private HybridClock newClock() {
    return new HybridClock(wallMillis, settings.maxClockDrift().toMillis());
  }

  /**
   * What {@link #emptyState()} returned. Pekko asks for the empty state once and starts every
   * recovery from that same object, also after a restart; the state is mutable, so events are
   * never applied to it (see {@link #writable}), or a restart would replay onto what the failed
   * write had already applied.
   */
  private State initial;

  @Override
  public State emptyState() {
    initial = new State(newClock(), new DeltaBuffer(), Map.of(), 0, 0, null, Set.of(), null);
    return initial;
  }

  /** The state an event may change: a fresh copy in place of the empty state (its clock only moves forward). */
  private State writable(State state) {
    return state != initial ? state
        : new State(initial.clock, new DeltaBuffer(), Map.of(), 0, 0, null, Set.of(), null);
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return new Snapshot(state.clock.last(), state.buffer.log(), state.buffer.rows(), null,
            state.buffer.seenDeltaIds(), List.copyOf(state.schemas.values()), state.flushSeq, state.flushedUpTo,
            state.pendingFlush, List.copyOf(state.flushedTables), state.rules);
      }

      @Override
      public State fromJournal(Object from) {
        Snapshot snapshot = (Snapshot) from;
        HybridClock clock = newClock();
        clock.advanceTo(snapshot.clock());
        Map<String, TableSchema> schemas = new HashMap<>();
        snapshot.schemas().forEach(schema -> schemas.put(schema.table(), schema));
        return new State(clock, new DeltaBuffer(snapshot.log(), snapshot.rows(), snapshot.dedupeWindow()), schemas,
            snapshot.flushSeq(), snapshot.flushedUpTo(), snapshot.pendingFlush(), new HashSet<>(snapshot.flushedTables()),
            snapshot.syncRules());
      }
    };
  }

  /**
   * After a flush the buffer is small: the moment to snapshot, so recovery time does not grow
   * with age, and to prune the journal (the {@link SnapshotCompleted} signal).
   */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    return event instanceof Flushed;
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          state.clock.leadWallBy(settings.clockSkewAllowance().toMillis()); // see replyHlc
          if (persisting != null) {
            context.getLog().warn("gateway {} recovered after a failed journal write; answering its command as not done",
                gatewayId);
            answerUnjournaled(persisting, state);
            persisting = null;
          }
          gateway.tell(new Recovered(state.level(), state.pendingFlush != null, state.rules));
        })
        // Only once the snapshot after a flush is saved may what precedes it go.
        .onSignal(SnapshotCompleted.class, (state, completed) ->
            Adapter.actorOf(context, JournalPruner.props(completed.metadata().persistenceId(),
                completed.metadata().sequenceNr())))
        .build();
  }

  /**
   * A journal write failed and the ledger restarted: whether it was stored is unknown (the
   * recovered state tells), so its command is answered as not done. A push is refused with a
   * retry (503); its client's retry is deduplicated if the write was stored after all.
   */
  private void answerUnjournaled(Command failed, State state) {
    if (failed instanceof Append append) {
      List<List<RowDelta>> none = new ArrayList<>(append.pushes().size());
      // Retry-After is in whole seconds; the ledger is back after the backoff's first step.
      Duration retryAfter = Duration.ofSeconds(Math.max(1, settings.journalBackoff().min().toSeconds()));
      SyncGateway.PushNotJournaled refusal = new SyncGateway.PushNotJournaled(retryAfter,
          "gateway " + gatewayId + " could not journal the push; it was not acknowledged, retry it");
      for (Push push : append.pushes()) {
        push.replyTo().tell(refusal);
        none.add(List.of());
      }
      gateway.tell(new GroupWritten(append.pushes(), none, state.serverHlc(), state.level(),
          System.nanoTime() - append.sentNanos()));
    } else if (failed instanceof Register || failed instanceof SaveRules) {
      context.getSelf().tell(failed); // idempotent: saving the same schema or rules again changes nothing
    } else {
      gateway.tell(new FlushNotJournaled(failed instanceof PlanFlush ? "plan" : "result"));
    }
  }

  /** Journals {@code event} for {@code command}, then answers {@code replyTo} with what {@code reply} makes of the new state. */
  private <R> ReplyEffect<Event, State> journal(Command command, Event event, ActorRef<R> replyTo,
                                                Function<State, R> reply) {
    persisting = command;
    return Effect().persist(event).thenRun(() -> persisting = null).thenReply(replyTo, reply);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Append.class, this::onAppend)
        .onCommand(Read.class, this::onRead)
        .onCommand(Register.class, this::onRegister)
        .onCommand(SaveRules.class, this::onSaveRules)
        .onCommand(ReadRules.class, (state, read) ->
            Effect().reply(read.replyTo(), new SyncGateway.CurrentSyncRules(state.rules)))
        .onCommand(PlanFlush.class, this::onPlanFlush)
        .onCommand(RecordFlush.class, this::onRecordFlush)
        // The buffer holds exactly the deltas stamped after flushedUpTo (a planned flush drops
        // its part only once recorded), and no stamp at or below serverHlc can come later.
        .onCommand(CaptureCheckpoint.class, (state, capture) -> Effect().reply(gateway, new CheckpointCaptured(
            capture.at() == 0 ? new CheckpointSource(gatewayId, state.serverHlc(), state.flushedUpTo,
                List.copyOf(state.flushedTables), state.buffer.log()) : capturedAt(state, capture.at()))))
        .onCommand(Describe.class, (state, describe) -> Effect().reply(describe.replyTo(),
            new SyncGateway.Stats(state.buffer.size(), state.buffer.bytes(), state.buffer.rowCount(),
                state.serverHlc(), describe.sessions(), state.flushSeq, state.flushedUpTo,
                describe.peakBufferBytes(), describe.flushing())))
        .build();
  }

  /** Everything stamped up to {@code at}: the flushed part only as far as {@code at} (the writer bounds the buffered one). */
  private CheckpointSource capturedAt(State state, long at) {
    long flushed = Long.compareUnsigned(state.flushedUpTo, at) < 0 ? state.flushedUpTo : at;
    return new CheckpointSource(gatewayId, at, flushed, List.copyOf(state.flushedTables), state.buffer.log());
  }

  private ReplyEffect<Event, State> onRegister(State state, Register register) {
    TableSchema schema = register.request().schema();
    ActorRef<SyncGateway.SchemaReply> replyTo = register.request().replyTo();
    TableSchema previous = state.schemas.get(schema.table());
    Optional<String> conflict = previous == null ? Optional.empty() : schema.incompatibleWith(previous);
    if (conflict.isPresent()) {
      return Effect().reply(replyTo, new SyncGateway.SchemaRefused(conflict.get()));
    }
    return journal(register, new SchemaRegistered(schema), replyTo,
        after -> new SyncGateway.SchemaSaved(schema.table(), schema.columns().size()));
  }

  private ReplyEffect<Event, State> onSaveRules(State state, SaveRules save) {
    SyncRules rules = save.request().rules();
    return journal(save, new SyncRulesSet(rules), save.request().replyTo(), after -> {
      gateway.tell(new RulesChanged(after.rules));
      return new SyncGateway.SyncRulesSaved(rules.version());
    });
  }

  /** What the group decided, push by push: the accepted deltas or a refusal. */
  private record Decision(List<Accepted> accepted, PushRefused refused) {}

  private ReplyEffect<Event, State> onAppend(State state, Append append) {
    int deltas = append.pushes().stream().mapToInt(push -> push.deltas().size()).sum();
    int capacity = (int) (deltas / 0.75f) + 1; // sized once: these maps see every delta of the group
    Map<String, RowVersion> pendingRows = new HashMap<>(capacity);
    Set<String> pendingIds = new HashSet<>(capacity);
    List<Decision> decisions = new ArrayList<>(append.pushes().size());
    List<Accepted> all = new ArrayList<>();
    // Deciding admits the winners' ids into the buffer ahead of the event (one dedupe lookup per
    // delta); never into the empty state's buffer, which a recovery after a failed write reuses.
    State deciding = writable(state);
    for (Push push : append.pushes()) {
      Decision decision = decide(deciding, push, pendingRows, pendingIds);
      decisions.add(decision);
      all.addAll(decision.accepted());
    }
    if (all.isEmpty()) {
      return Effect().none().thenReply(gateway, after -> answer(append, decisions, after));
    }
    return journal(append, new DeltasAccepted(all), gateway, after -> answer(append, decisions, after));
  }

  /** Answers each push of the group (once its write committed), then tells the gateway what to broadcast. */
  private GroupWritten answer(Append append, List<Decision> decisions, State state) {
    long serverHlc = state.replyHlc();
    long journalNanos = System.nanoTime() - append.sentNanos();
    List<List<RowDelta>> accepted = new ArrayList<>(decisions.size());
    for (int i = 0; i < decisions.size(); i++) {
      Decision decision = decisions.get(i);
      Push push = append.pushes().get(i);
      List<RowDelta> ingested = decision.accepted().stream().map(Accepted::delta).toList();
      push.replyTo().tell(decision.refused() != null
          ? decision.refused()
          : new PushAccepted(serverHlc, push.deltas().size(), ingested, journalNanos));
      accepted.add(ingested);
    }
    return new GroupWritten(append.pushes(), accepted, serverHlc, state.level(), journalNanos);
  }

  /**
   * Decides which deltas of a push win. Of the buffer it changes only the dedupe window, admitting
   * each winner's id (see {@link DeltaBuffer#admit}); the event handler applies the rest, and the
   * ids on replay. Later deltas in the group merge against earlier ones through the pending maps.
   * A refused push leaves the pending maps as they were.
   */
  private static Decision decide(State state, Push push, Map<String, RowVersion> pendingRows, Set<String> pendingIds) {
    for (RowDelta delta : push.deltas()) {
      PushRefused refused = PushChecks.refusal(delta, push.clientId(), state.schemas);
      if (refused != null) {
        return new Decision(List.of(), refused);
      }
    }
    try {
      for (RowDelta delta : push.deltas()) {
        state.clock.receive(delta.hlc());
      }
    } catch (ClockDriftException e) {
      return new Decision(List.of(), new PushRefused(Refusal.CLOCK_DRIFT, e.getMessage()));
    }
    List<Accepted> accepted = new ArrayList<>(push.deltas().size());
    for (RowDelta delta : push.deltas()) {
      // A delta is taken when it is new to the group, wins its merge and is new to the window:
      // the window, the one lookup that misses the cache, is asked last and only for winners.
      if (!pendingIds.add(delta.deltaId())) {
        continue;
      }
      String rowKey = delta.rowKey();
      RowVersion row = pendingRows.get(rowKey);
      RowVersion.Merge merge = (row != null ? row : state.buffer.row(rowKey)).merge(delta);
      if (merge != null && state.buffer.admit(delta.deltaId())) {
        pendingRows.put(rowKey, merge.after());
        accepted.add(new Accepted(merge.winning(), state.clock.now()));
      }
    }
    return new Decision(accepted, null);
  }

  private ReplyEffect<Event, State> onPlanFlush(State state, PlanFlush plan) {
    if (state.pendingFlush != null) {
      return Effect().reply(gateway, new FlushReady(planOf(state, state.pendingFlush)));
    }
    if (state.buffer.size() == 0) {
      return Effect().reply(gateway, new FlushReady(null));
    }
    return journal(plan, new FlushPlanned(state.flushSeq + 1, state.buffer.lastStamp()), gateway,
        after -> new FlushReady(planOf(after, after.pendingFlush)));
  }

  private FlushPlan planOf(State state, FlushPlanned planned) {
    return new FlushPlan(gatewayId, planned.seq(), planned.upTo(), state.buffer.through(planned.upTo()),
        Map.copyOf(state.schemas));
  }

  private ReplyEffect<Event, State> onRecordFlush(State state, RecordFlush record) {
    FlushResult result = record.result();
    List<String> tables = result.files().stream().map(file -> tableName(file.table())).distinct().toList();
    return journal(record, new Flushed(result.seq(), result.upTo(), tables), gateway,
        after -> new FlushRecorded(result, after.level()));
  }

  /** Iceberg names tables {@code catalogue.namespace.table}; the ledger keeps the user's table name. */
  private static String tableName(String icebergName) {
    return icebergName.substring(icebergName.lastIndexOf('.') + 1);
  }

  /**
   * Without sync rules a pull reads {@code limit} deltas. With rules it reads up to {@code
   * pull.max-filtered-scan} (at least {@code limit}) and keeps what the client may see, so a client
   * that may see few rows still gets full pages, and a cursor past what was read when it got less.
   */
  private ReplyEffect<Event, State> onRead(State state, Read read) {
    SyncGateway.Pull pull = read.pull();
    RowFilter filter = state.rules == null ? RowFilter.ALL : state.rules.forClaims(pull.claims());
    int window = filter == RowFilter.ALL ? pull.limit() : Math.max(pull.limit(), settings.maxFilteredScan());
    long rulesVersion = state.rules == null ? 0 : state.rules.version();
    if (Long.compareUnsigned(pull.since(), state.flushedUpTo) >= 0) {
      DeltaBuffer.Page page = state.buffer.since(pull.since(), window);
      return Effect().reply(pull.replyTo(), PullPages.reply(page.deltas(), page.hasMore(), pull.limit(), filter,
          settings.maxPullBytes(), state.replyHlc(), rulesVersion, pull.stamped()));
    }
    readThroughLake(state, pull, window, filter, rulesVersion);
    return Effect().noReply(); // the lake read answers
  }

  /**
   * A cursor older than the buffer: the flushed part comes from the lake, off the actor, then
   * the buffer's head (captured now, with the flush point, so the two never overlap or leave a gap).
   */
  private void readThroughLake(State state, SyncGateway.Pull pull, int window, RowFilter filter, long rulesVersion) {
    long upTo = state.flushedUpTo;
    List<String> tables = List.copyOf(state.flushedTables);
    DeltaBuffer.Page bufferHead = state.buffer.since(upTo, window);
    long serverHlc = state.replyHlc();
    offActor.run(() -> lake.read(gatewayId, tables, pull.since(), upTo, window)).whenComplete((flushed, error) -> {
      if (error != null) {
        pull.replyTo().tell(new SyncGateway.PullFailed("cannot read flushed deltas from the lake: " + error));
        return;
      }
      List<Accepted> read = new ArrayList<>(flushed.subList(0, Math.min(flushed.size(), window)));
      int room = window - read.size();
      read.addAll(bufferHead.deltas().subList(0, Math.min(room, bufferHead.deltas().size())));
      boolean hasMore = flushed.size() > window || bufferHead.deltas().size() > room || bufferHead.hasMore();
      pull.replyTo().tell(PullPages.reply(read, hasMore, pull.limit(), filter, settings.maxPullBytes(), serverHlc,
          rulesVersion, pull.stamped()));
    });
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(DeltasAccepted.class, (current, event) -> {
          State state = writable(current);
          for (Accepted accepted : event.deltas()) {
            String rowKey = accepted.delta().rowKey();
            RowVersion row = state.buffer.row(rowKey);
            RowVersion.Merge merge = row.merge(accepted.delta());
            state.buffer.append(accepted, rowKey, merge == null ? row : merge.after());
            state.clock.advanceTo(accepted.stamp());
          }
          return state;
        })
        .onEvent(SchemaRegistered.class, (current, event) -> {
          State state = writable(current);
          state.schemas.put(event.schema().table(), event.schema());
          return state;
        })
        .onEvent(SyncRulesSet.class, (current, event) -> {
          State state = writable(current);
          state.rules = event.rules();
          return state;
        })
        .onEvent(FlushPlanned.class, (current, event) -> {
          State state = writable(current);
          state.pendingFlush = event;
          return state;
        })
        .onEvent(Flushed.class, (current, event) -> {
          State state = writable(current);
          state.buffer.dropThrough(event.upTo(), settings.dedupeWindow(), settings.rowWindow());
          state.flushSeq = event.seq();
          state.flushedUpTo = event.upTo();
          state.pendingFlush = null;
          state.flushedTables.addAll(event.tables());
          return state;
        })
        .build();
  }
}
