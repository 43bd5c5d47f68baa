package io.lakeshard.core.gateway;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.checkpoint.CheckpointManifest;
import io.lakeshard.core.checkpoint.CheckpointWriter;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.gateway.GatewayLedger.CheckpointCaptured;
import io.lakeshard.core.gateway.GatewayLedger.FlushNotJournaled;
import io.lakeshard.core.gateway.GatewayLedger.FlushReady;
import io.lakeshard.core.gateway.GatewayLedger.FlushRecorded;
import io.lakeshard.core.gateway.GatewayLedger.GroupWritten;
import io.lakeshard.core.gateway.GatewayLedger.Recovered;
import io.lakeshard.core.gateway.GatewayLedger.RulesChanged;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.rules.SyncRules;
import io.lakeshard.core.schema.TableSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One sync gateway: the single owner of its buffer, its flush alarm and its WebSocket sessions (a
 * Durable Object's role). The entity holds the sessions and groups pushes: while one journal write
 * is in flight, arriving pushes queue and go to the {@link GatewayLedger} together as the next
 * write (group commit), so a busy gateway is not held to one journal round trip per push. A push
 * is acknowledged, and broadcast to the gateway's other sessions, only after its write committed.
 *
 * <p>Flushing to the lake is the alarm ({@link GatewayFlushes}): at once when the buffer passes
 * {@code max-buffer-bytes}, else when its oldest delta is {@code max-buffer-age} old. One flush at
 * a time, run on the lake dispatcher with its result sent back, while pushes go on into the
 * buffer; a failure keeps the buffer and retries with backoff, and past twice the limit pushes are
 * turned away (503) until a flush succeeds. A healthy flush that is merely slow turns pushes away
 * only past {@link io.lakeshard.core.flush.FlushLimits#busyLimitBytes()}.
 *
 * <p>After flushes (as {@code lakeshard.gateway.checkpoint} says) and on {@link Checkpoint}, it
 * writes a checkpoint of its rows through the {@link CheckpointWriter}, one at a time, off the
 * actor; a failure is retried with backoff and holds up nothing else.
 *
 * <p>The ledger's answers come through a message adapter as a private command, so only the
 * public protocol below can be sent from outside the package.
 */
public final class SyncGateway extends AbstractBehavior<SyncGateway.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "SyncGateway");

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /**
   * Deltas from {@code clientId}; {@code origin} is the pushing WebSocket session, or null. No
   * session of {@code clientId} (nor {@code origin}, whose client is unknown with auth off) gets
   * them broadcast.
   */
  public record Push(String clientId, List<RowDelta> deltas, ActorRef<Broadcast> origin,
                     ActorRef<PushReply> replyTo) implements Command {}

  /**
   * At most {@code limit} deltas stamped after {@code since} that the gateway's sync rules let a
   * client with {@code claims} see. A limit below 1 is taken as 1, also when a Pull arrives from
   * another node: a bad message (a WebSocket {@code max_deltas}, a protobuf uint32, of 2^31 or
   * more arrives negative) must not break the entity.
   *
   * <p>The rules are applied here, in the entity, not on the page a caller gets back: only the
   * entity knows how far it scanned, so only it can answer a cursor past the deltas it filtered
   * out (a page cut after filtering would either skip allowed deltas or stall on filtered ones).
   *
   * <p>{@code stamped}: the reply also carries each delta's acceptance stamp, for a caller that
   * merges the pages of several shards in stamp order.
   */
  public record Pull(long since, int limit, Map<String, List<String>> claims, boolean stamped,
                     ActorRef<PullResult> replyTo) implements Command {
    public Pull {
      limit = Math.max(1, limit);
      claims = claims == null ? Map.of() : claims;
    }

    /** A pull whose reply carries no stamps (the page alone is the answer). */
    public Pull(long since, int limit, Map<String, List<String>> claims, ActorRef<PullResult> replyTo) {
      this(since, limit, claims, false, replyTo);
    }
  }

  /** Registers or evolves a table's schema (only adding columns is allowed). */
  public record RegisterSchema(TableSchema schema, ActorRef<SchemaReply> replyTo) implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = SchemaSaved.class, name = "saved"),
      @JsonSubTypes.Type(value = SchemaRefused.class, name = "refused")})
  public sealed interface SchemaReply extends CborSerializable {}

  public record SchemaSaved(String table, int columns) implements SchemaReply {}

  public record SchemaRefused(String message) implements SchemaReply {}

  /** What an operator sees of a gateway (admin metrics). */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /**
   * {@code peakBufferBytes}: the most unflushed bytes this gateway held since it started (LakeSync's
   * metric); {@code flushing}: how its flushes go, as the gateway (not its journal) knows it.
   */
  public record Stats(int bufferedDeltas, long bufferedBytes, int rows, long serverHlc, int sessions,
                      long lastFlushSeq, long flushedUpTo, long peakBufferBytes, FlushStatus flushing)
      implements CborSerializable {}

  /**
   * Since this gateway started on its node (kept in memory, as the peak is): when its last flush
   * committed (0: none yet), how many flush attempts have failed in a row, whether it turns pushes
   * away now (backpressure) and how many it has turned away.
   */
  public record FlushStatus(long lastFlushAtMillis, int failuresInARow, boolean backpressure, long throttledPushes)
      implements CborSerializable {
    public static final FlushStatus NONE = new FlushStatus(0, 0, false, 0);
  }

  /** Flush now (admin); answered once the flush is committed and journaled, or has failed. */
  public record Flush(ActorRef<FlushReply> replyTo) implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = FlushDone.class, name = "done"),
      @JsonSubTypes.Type(value = NothingToFlush.class, name = "nothing"),
      @JsonSubTypes.Type(value = FlushFailed.class, name = "failed")})
  public sealed interface FlushReply extends CborSerializable {}

  public record FlushDone(FlushResult result) implements FlushReply {}

  public record NothingToFlush() implements FlushReply {}

  public record FlushFailed(String message) implements FlushReply {}

  /**
   * Write a checkpoint now (admin); answered once it is written, or has failed. {@code at}: the
   * snapshot stamp, for the shards of a sharded gateway, which all checkpoint at one stamp that
   * each of them has passed (so loading them and pulling from it misses and repeats nothing);
   * 0: as of now.
   */
  public record Checkpoint(ActorRef<CheckpointReply> replyTo, long at) implements Command {
    public Checkpoint(ActorRef<CheckpointReply> replyTo) {
      this(replyTo, 0);
    }
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = CheckpointDone.class, name = "done"),
      @JsonSubTypes.Type(value = CheckpointFailed.class, name = "failed")})
  public sealed interface CheckpointReply extends CborSerializable {}

  /** The latest checkpoint: its snapshot stamp (decimal), chunk objects and rows. */
  public record CheckpointDone(String snapshotHlc, int chunks, int rows) implements CheckpointReply {}

  public record CheckpointFailed(String message) implements CheckpointReply {}

  /**
   * A WebSocket session of {@code clientId} (null with auth off) with {@code claims} joins the
   * gateway; it leaves when it stops or sends {@link Unsubscribe}.
   */
  public record Subscribe(ActorRef<Broadcast> session, String clientId, Map<String, List<String>> claims)
      implements Command {
    public Subscribe {
      claims = claims == null ? Map.of() : claims;
    }
  }

  public record Unsubscribe(ActorRef<Broadcast> session) implements Command {}

  /** Replaces the gateway's sync rules (admin); answered once journaled. */
  public record SaveSyncRules(SyncRules rules, ActorRef<SyncRulesSaved> replyTo) implements Command {}

  public record SyncRulesSaved(long version) implements CborSerializable {}

  public record GetSyncRules(ActorRef<CurrentSyncRules> replyTo) implements Command {}

  /** The gateway's sync rules; null when none were ever saved. */
  public record CurrentSyncRules(SyncRules rules) implements CborSerializable {}

  /** An answer of the ledger (always a local child). */
  private record FromLedger(GatewayLedger.Reply reply) implements Command, NoSerializationVerificationNeeded {}

  /**
   * From sharding, to passivate an idle gateway or hand it to another node: finish the journal
   * writes in flight, flush what is buffered (once, unless the node is shutting down; the journal
   * holds it either way), then stop.
   */
  private enum Passivate implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** The alarm, or the end of a backoff. */
  enum FlushDue implements Command, NoSerializationVerificationNeeded { INSTANCE }

  record FlushCommitted(FlushResult result, long startedNanos) implements Command, NoSerializationVerificationNeeded {}

  record FlushErred(FlushPlan plan, Throwable error) implements Command, NoSerializationVerificationNeeded {}

  /** The end of a checkpoint's backoff. */
  private enum CheckpointDue implements Command, NoSerializationVerificationNeeded { INSTANCE }

  private record CheckpointWritten(CheckpointManifest manifest) implements Command, NoSerializationVerificationNeeded {}

  private record CheckpointErred(Throwable error) implements Command, NoSerializationVerificationNeeded {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = PushAccepted.class, name = "accepted"),
      @JsonSubTypes.Type(value = PushRefused.class, name = "refused"),
      @JsonSubTypes.Type(value = PushThrottled.class, name = "throttled"),
      @JsonSubTypes.Type(value = PushNotJournaled.class, name = "not-journaled")})
  public sealed interface PushReply extends CborSerializable {}

  /**
   * As LakeSync answers: {@code accepted} counts every delta of the push (duplicates and deltas
   * that lost to newer writes are accepted too); {@code deltas} holds what was ingested, each
   * trimmed to the columns that won; {@code journalNanos}: how long its group's journal write took
   * (what a request's Server-Timing reports as {@code journal}).
   */
  public record PushAccepted(long serverHlc, int accepted, List<RowDelta> deltas, long journalNanos)
      implements PushReply {}

  public record PushRefused(Refusal reason, String message) implements PushReply {}

  /** The lake is behind (unflushed data past twice the limit): nothing was accepted; retry later. */
  public record PushThrottled(Duration retryAfter, String message) implements PushReply {}

  /**
   * The journal write failed, so nothing was acknowledged; retry after {@code retryAfter} (a retry
   * is deduplicated if the write was stored after all).
   */
  public record PushNotJournaled(Duration retryAfter, String message) implements PushReply {}

  public enum Refusal {
    INVALID_DELTA,
    CLOCK_DRIFT,
    SCHEMA_MISMATCH
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = PullReply.class, name = "reply"),
      @JsonSubTypes.Type(value = PullFailed.class, name = "failed")})
  public sealed interface PullResult extends CborSerializable {}

  /**
   * {@code rulesVersion}: the version of the sync rules that filtered the page, 0 when the gateway
   * has none; {@code stamps}: each delta's acceptance stamp when the pull asked for them, else null.
   */
  public record PullReply(List<RowDelta> deltas, long serverHlc, boolean hasMore, long rulesVersion, long[] stamps)
      implements PullResult {
    public PullReply(List<RowDelta> deltas, long serverHlc, boolean hasMore, long rulesVersion) {
      this(deltas, serverHlc, hasMore, rulesVersion, null);
    }
  }

  /** The cursor needed flushed deltas and the lake could not be read. */
  public record PullFailed(String message) implements PullResult {}

  /**
   * Deltas accepted from another client, sent to every session but the pusher's, as the WebSocket
   * frame the sessions forward: encoded once per push, not once per session (unless sync rules
   * leave a session only some of them).
   */
  public record Broadcast(byte[] frame) implements CborSerializable {}

  // ---- wiring ----

  /** {@code settingsOf}: each gateway's settings, by entity id (a sharded gateway's shards checkpoint differently). */
  public static void init(ActorSystem<?> system, Function<String, GatewaySettings> settingsOf, GatewayLake lake,
                          CheckpointWriter checkpoints, GatewayObserver observer) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_TYPE_KEY, entityContext ->
                create(entityContext.getEntityId(), settingsOf.apply(entityContext.getEntityId()), lake, checkpoints,
                    System::currentTimeMillis, observer))
            .withStopMessage(Passivate.INSTANCE));
  }

  public static Behavior<Command> create(String gatewayId, GatewaySettings settings, GatewayLake lake,
                                         CheckpointWriter checkpoints) {
    return create(gatewayId, settings, lake, checkpoints, System::currentTimeMillis, GatewayObserver.NONE);
  }

  /** {@code wallMillis}: the wall clock of the gateway's HLC and flush alarm (tests set their own). */
  static Behavior<Command> create(String gatewayId, GatewaySettings settings, GatewayLake lake,
                                  CheckpointWriter checkpoints, LongSupplier wallMillis, GatewayObserver observer) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new SyncGateway(context, timers, gatewayId, settings, lake, checkpoints, wallMillis, observer)));
  }

  private static final Object CHECKPOINT_TIMER = "checkpoint";

  private final TimerScheduler<Command> timers;
  private final String gatewayId;
  private final CheckpointWriter checkpointWriter;
  private final CheckpointRuns checkpoints;
  private final GatewayObserver observer;
  private final OffActor offActor;
  private final ActorRef<GatewayLedger.Command> ledger;
  private final GatewayFlushes flushes;
  private final GatewaySessions sessions = new GatewaySessions();
  private List<Push> waiting = new ArrayList<>();
  private boolean writing;


  private SyncGateway(ActorContext<Command> context, TimerScheduler<Command> timers, String gatewayId,
                      GatewaySettings settings, GatewayLake lake, CheckpointWriter checkpointWriter,
                      LongSupplier wallMillis, GatewayObserver observer) {
    super(context);
    this.observer = observer;
    this.timers = timers;
    this.gatewayId = gatewayId;
    this.checkpointWriter = checkpointWriter;
    this.checkpoints = new CheckpointRuns(settings.checkpoint());
    this.offActor = OffActor.of(context.getSystem());
    this.ledger = context.spawn(GatewayLedger.create(gatewayId, settings, wallMillis, lake, offActor,
        context.messageAdapter(GatewayLedger.Reply.class, FromLedger::new)), "ledger");
    // A failed journal write restarts the ledger with backoff; it stops only on what a restart
    // cannot fix (a rejected event, a bug). The gateway stops with it then rather than queue
    // forever, and sharding starts it afresh (recovering from the journal) on its next message.
    context.watch(ledger);
    this.flushes = new GatewayFlushes(context, timers, gatewayId, settings, lake, ledger, wallMillis, offActor, observer);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Push.class, this::onPush)
        .onMessage(FromLedger.class, from -> onLedger(from.reply()))
        .onMessage(Pull.class, this::onPull)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(RegisterSchema.class, register -> {
          ledger.tell(new GatewayLedger.Register(register));
          return this;
        })
        .onMessage(Flush.class, flush -> {
          flushes.ask(flush.replyTo());
          return this;
        })
        .onMessage(FlushDue.class, due -> {
          flushes.start();
          return this;
        })
        .onMessage(FlushCommitted.class, committed -> {
          flushes.committed(committed.result(), committed.startedNanos());
          return this;
        })
        .onMessage(FlushErred.class, erred -> {
          flushes.failed("flush " + erred.plan().seq() + " of " + erred.plan().deltas().size() + " deltas", erred.error());
          return stopIfDone();
        })
        .onMessage(Checkpoint.class, checkpoint -> {
          checkpoints.await(checkpoint.replyTo(), checkpoint.at());
          startCheckpoint();
          return this;
        })
        .onMessage(CheckpointDue.class, due -> {
          startCheckpoint();
          return this;
        })
        .onMessage(CheckpointWritten.class, this::onCheckpointWritten)
        .onMessage(CheckpointErred.class, this::onCheckpointErred)
        .onMessage(Passivate.class, passivate -> {
          flushes.beforeStop();
          return stopIfDone();
        })
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(SaveSyncRules.class, save -> {
          ledger.tell(new GatewayLedger.SaveRules(save));
          return this;
        })
        .onMessage(GetSyncRules.class, get -> {
          ledger.tell(new GatewayLedger.ReadRules(get.replyTo()));
          return this;
        })
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onSignal(Terminated.class, terminated -> {
          getContext().getLog().warn("gateway ledger stopped ({} pushes waiting); stopping the gateway so it recovers",
              waiting.size());
          return Behaviors.stopped();
        })
        .build();
  }

  private Behavior<Command> onLedger(GatewayLedger.Reply reply) {
    if (reply instanceof GroupWritten written) {
      return onGroupWritten(written);
    } else if (reply instanceof FlushReady ready) {
      flushes.ready(ready.plan());
      return stopIfDone();
    } else if (reply instanceof FlushRecorded recorded) {
      return onFlushRecorded(recorded);
    } else if (reply instanceof FlushNotJournaled failed) {
      flushes.failed("flush " + failed.step(), new IllegalStateException("the journal write failed"));
      return stopIfDone();
    } else if (reply instanceof RulesChanged changed) {
      sessions.useRules(changed.rules());
      return this;
    } else if (reply instanceof CheckpointCaptured captured) {
      getContext().pipeToSelf(offActor.run(() -> checkpointWriter.write(captured.source())), (manifest, error) ->
          error == null ? new CheckpointWritten(manifest) : new CheckpointErred(error));
      return this;
    }
    return onLedgerRecovered((Recovered) reply);
  }

  private Behavior<Command> onPush(Push push) {
    PushThrottled refusal = flushes.refusal();
    if (refusal != null) {
      push.replyTo().tell(refusal);
      return this;
    }
    waiting.add(push);
    if (!writing) {
      writeWaiting();
    }
    return this;
  }

  private void writeWaiting() {
    ledger.tell(new GatewayLedger.Append(waiting, System.nanoTime()));
    waiting = new ArrayList<>();
    writing = true;
  }

  private Behavior<Command> onGroupWritten(GroupWritten written) {
    observer.journalWritten(written.journalNanos(), written.pushes().size());
    for (int i = 0; i < written.pushes().size(); i++) {
      List<RowDelta> accepted = written.accepted().get(i);
      if (!accepted.isEmpty()) {
        Push push = written.pushes().get(i);
        sessions.broadcast(accepted, written.serverHlc(), push.origin(), push.clientId());
      }
    }
    writing = false;
    if (!waiting.isEmpty()) {
      writeWaiting();
    }
    flushes.schedule(written.level());
    return stopIfDone();
  }

  /** While passivating: stop once no journal write or flush is in flight. */
  private Behavior<Command> stopIfDone() {
    if (flushes.passivating() && !writing && waiting.isEmpty() && !flushes.flushing()) {
      getContext().getLog().debug("gateway {} stops ({} unflushed bytes stay journaled)", gatewayId,
          flushes.level().bytes());
      return Behaviors.stopped();
    }
    return this;
  }

  /** At start, or after the ledger restarted. */
  private Behavior<Command> onLedgerRecovered(Recovered recovered) {
    sessions.useRules(recovered.rules());
    flushes.recovered(recovered.level(), recovered.flushPending());
    return this;
  }

  private Behavior<Command> onFlushRecorded(FlushRecorded recorded) {
    flushes.recorded(recorded.result(), recorded.level());
    if (checkpoints.flushed(recorded.result().rows()) && !flushes.passivating()) {
      startCheckpoint();
    }
    return stopIfDone();
  }

  // ---- checkpoints ----

  private void startCheckpoint() {
    if (checkpoints.start()) {
      timers.cancel(CHECKPOINT_TIMER);
      ledger.tell(new GatewayLedger.CaptureCheckpoint(checkpoints.at()));
    }
  }

  private Behavior<Command> onCheckpointWritten(CheckpointWritten written) {
    CheckpointManifest manifest = written.manifest();
    getContext().getLog().info("gateway {} checkpoint at {}: {} rows in {} chunks", gatewayId, manifest.snapshotHlc(),
        manifest.totalDeltas(), manifest.chunkCount());
    if (checkpoints.written(manifest)) {
      startCheckpoint();
    }
    return this;
  }

  private Behavior<Command> onCheckpointErred(CheckpointErred erred) {
    Duration delay = checkpoints.failed("checkpoint failed: " + erred.error().getMessage());
    timers.startSingleTimer(CHECKPOINT_TIMER, CheckpointDue.INSTANCE, delay);
    getContext().getLog().warn("gateway {} checkpoint failed ({} in a row); retrying in {} ms: {}", gatewayId,
        checkpoints.failures(), delay.toMillis(), erred.error().toString());
    return this;
  }

  // ---- sessions ----

  private Behavior<Command> onPull(Pull pull) {
    ledger.tell(new GatewayLedger.Read(pull));
    return this;
  }

  private Behavior<Command> onGetStats(GetStats get) {
    ledger.tell(new GatewayLedger.Describe(sessions.size(), flushes.peakBufferBytes(), flushes.status(), get.replyTo()));
    return this;
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    if (sessions.add(subscribe.session(), subscribe.clientId(), subscribe.claims())) {
      getContext().watchWith(subscribe.session(), new Unsubscribe(subscribe.session()));
    }
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe unsubscribe) {
    if (sessions.remove(unsubscribe.session())) {
      getContext().unwatch(unsubscribe.session());
    }
    return this;
  }
}
