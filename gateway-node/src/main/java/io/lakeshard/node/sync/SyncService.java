package io.lakeshard.node.sync;

import io.lakeshard.core.action.Action;
import io.lakeshard.core.action.ActionContext;
import io.lakeshard.core.action.ActionDescriptor;
import io.lakeshard.core.action.ActionHandlers;
import io.lakeshard.core.action.ActionSettings;
import io.lakeshard.core.action.GatewayActions;
import io.lakeshard.core.action.WireActions;
import io.lakeshard.core.checkpoint.CheckpointManifest;
import io.lakeshard.core.checkpoint.CheckpointStore;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.rules.RowFilter;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.Stages;
import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.node.metrics.OpenCount;
import io.lakeshard.node.metrics.RequestTimer;
import io.lakeshard.node.metrics.SyncMeters;
import io.lakeshard.node.metrics.Transport;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.SyncPush;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Every rule of push, pull, checkpoints and actions, once, for every transport: which gateway a
 * token opens, clientId = token {@code sub}, the delta limit, the pull limit, decoding deltas and
 * actions, what the gateway's replies mean, and which checkpoint rows a client receives. HTTP
 * routes and WebSocket sessions parse their input, call this, and map the outcome to a status
 * code or a close code.
 */
public final class SyncService {
  static final Pattern GATEWAY_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  /** Opening a gateway: the access to use, or why not. */
  public sealed interface Access permits Gateway, Refused {}

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final int maxDeltasPerPush;
  private final PullLimit pullLimit;
  private final Duration lakeRetryAfter;
  private final CheckpointStore checkpoints;
  private final OffActor offActor;
  private final ActionSettings actionSettings;
  private final ActionHandlers actionHandlers;
  private final GatewayShards shards;
  private final SyncMeters meters;

  public SyncService(ActorSystem<?> system, NodeSettings settings, CheckpointStore checkpoints,
                     ActionSettings actionSettings, ActionHandlers actionHandlers, SyncMeters meters) {
    this.meters = meters;
    this.sharding = ClusterSharding.get(system);
    this.checkpoints = checkpoints;
    this.offActor = OffActor.of(system);
    this.actionSettings = actionSettings;
    this.actionHandlers = actionHandlers;
    this.askTimeout = settings.askTimeout();
    this.maxDeltasPerPush = settings.maxDeltasPerPush();
    this.pullLimit = new PullLimit(settings.gateway().defaultPullLimit(), settings.gateway().maxPullLimit());
    this.lakeRetryAfter = settings.lakeRetryAfter();
    this.shards = settings.shards();
  }

  /**
   * The gateway {@code gatewayId} for the token's holder (no principal: auth is off), checked
   * once per HTTP request or WebSocket session ({@code transport}, for the metrics).
   */
  public Access open(Optional<JwtAuth.Principal> principal, String gatewayId, Transport transport) {
    if (!GATEWAY_ID.matcher(gatewayId).matches()) {
      return new Refused(SyncRefusal.INVALID_GATEWAY, "gateway id must match " + GATEWAY_ID);
    }
    if (principal.isPresent() && !principal.get().isFor(gatewayId)) {
      return new Refused(SyncRefusal.WRONG_GATEWAY, "token is not for gateway " + gatewayId);
    }
    ShardedGateway sharded = shards.of(gatewayId)
        .map(layout -> new ShardedGateway(sharding, layout, askTimeout))
        .orElse(null);
    return new Gateway(gatewayId, sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, gatewayId), sharded, principal,
        meters.on(transport));
  }

  /** The open WebSocket sessions' gauge. */
  public OpenCount webSockets() {
    return meters.webSockets();
  }

  /** One gateway as one token's holder may use it. */
  public final class Gateway implements Access {
    private final String gatewayId;
    private final EntityRef<SyncGateway.Command> entity;
    /** Its shards when its tables are spread over several entities; null: {@code entity} is the gateway. */
    private final ShardedGateway sharded;
    private final Optional<JwtAuth.Principal> principal;
    /** What sync rules' {@code jwt:} values resolve to; none with auth off. */
    private final Map<String, List<String>> claims;
    private final SyncMeters.Path meters;

    private Gateway(String gatewayId, EntityRef<SyncGateway.Command> entity, ShardedGateway sharded,
                    Optional<JwtAuth.Principal> principal, SyncMeters.Path meters) {
      this.meters = meters;
      this.gatewayId = gatewayId;
      this.entity = entity;
      this.sharded = sharded;
      this.principal = principal;
      this.claims = principal.map(JwtAuth.Principal::claims).orElse(Map.of());
    }

    /**
     * Subscribes a WebSocket session to the gateway's broadcasts (it unsubscribes when the session
     * stops): what its client pushes, from any transport, is not broadcast to it, and the rest is
     * filtered by the gateway's sync rules for its claims. A sharded gateway's session joins
     * every shard, so it hears a push whichever shards its tables went to.
     */
    public void subscribe(ActorRef<SyncGateway.Broadcast> session) {
      SyncGateway.Subscribe subscribe =
          new SyncGateway.Subscribe(session, principal.map(JwtAuth.Principal::clientId).orElse(null), claims);
      if (sharded == null) {
        entity.tell(subscribe);
      } else {
        sharded.subscribe(subscribe);
      }
    }

    /**
     * Journals {@code push}'s deltas; no session of the pushing client gets them broadcast, nor
     * {@code origin}, the pushing WebSocket session (null over HTTP), when auth is off.
     */
    public CompletionStage<PushOutcome> push(SyncPush push, ActorRef<SyncGateway.Broadcast> origin) {
      return meters.push().time(System.nanoTime(), decidePush(push, origin), this::pushed);
    }

    private CompletionStage<PushOutcome> decidePush(SyncPush push, ActorRef<SyncGateway.Broadcast> origin) {
      if (!mayActAs(push.getClientId())) {
        return CompletableFuture.completedFuture(new Refused(SyncRefusal.CLIENT_MISMATCH,
            "push clientId differs from the token's sub"));
      }
      if (push.getDeltasCount() > maxDeltasPerPush) {
        return CompletableFuture.completedFuture(new Refused(SyncRefusal.TOO_MANY_DELTAS,
            push.getDeltasCount() + " deltas in one push; the limit is " + maxDeltasPerPush));
      }
      List<RowDelta> deltas;
      try {
        deltas = WireDeltas.fromWire(push.getDeltasList());
      } catch (ProtocolException e) {
        return CompletableFuture.completedFuture(new Refused(SyncRefusal.INVALID_DELTA, e.getMessage()));
      }
      CompletionStage<SyncGateway.PushReply> reply = sharded == null
          ? Stages.direct(entity.ask(replyTo -> new SyncGateway.Push(push.getClientId(), deltas, origin, replyTo),
              askTimeout))
          : sharded.push(push.getClientId(), deltas, origin);
      return reply.thenApply(SyncService::pushOutcome);
    }

    /**
     * A page of the deltas accepted after {@code since} that the gateway's sync rules let this
     * principal see; {@code requestedLimit} as {@link PullLimit} reads it.
     */
    public CompletionStage<PullOutcome> pull(long since, long requestedLimit) {
      return meters.pull().time(System.nanoTime(), decidePull(since, requestedLimit), SyncService::outcome);
    }

    private CompletionStage<PullOutcome> decidePull(long since, long requestedLimit) {
      int limit = pullLimit.resolve(requestedLimit);
      if (limit == PullLimit.REFUSED) {
        return CompletableFuture.completedFuture(new Refused(SyncRefusal.INVALID_LIMIT,
            pullLimit.rule() + ", not " + requestedLimit));
      }
      CompletionStage<SyncGateway.PullResult> reply = sharded == null
          ? Stages.direct(entity.ask(replyTo -> new SyncGateway.Pull(since, limit, claims, replyTo), askTimeout))
          : sharded.pull(since, limit, claims);
      return reply.thenApply(result -> result instanceof SyncGateway.PullReply page
              ? new PullOutcome.Page(page)
              : new Unavailable(Unavailable.Cause.LAKE_UNAVAILABLE, ((SyncGateway.PullFailed) result).message(),
                  lakeRetryAfter));
    }

    /**
     * The gateway's latest checkpoint, read from the object store (its manifest is the record of
     * the latest one, on any node and after any restart), with only the rows the gateway's sync
     * rules let this principal see (the stored checkpoint holds every row, as LakeSync's does). A
     * sharded gateway's is every shard's, each filtered by its own rules, served only when they
     * are at one snapshot ({@link CheckpointSet}).
     */
    public CompletionStage<CheckpointOutcome> checkpoint() {
      List<String> entityIds = sharded == null ? List.of(gatewayId) : sharded.entityIds();
      List<CompletableFuture<StoredCheckpoint>> stored = entityIds.stream()
          .map(entityId -> stored(entityId).toCompletableFuture())
          .toList();
      return CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new)).<CheckpointOutcome>handle((done, error) -> {
        if (error != null) {
          Throwable cause = error instanceof CompletionException ? error.getCause() : error;
          return new Unavailable(Unavailable.Cause.LAKE_UNAVAILABLE, "cannot read the checkpoint manifest: "
              + cause.getMessage(), lakeRetryAfter);
        }
        List<StoredCheckpoint> parts = stored.stream().map(CompletableFuture::join).toList();
        CheckpointSet.Choice choice = CheckpointSet.of(gatewayId, entityIds,
            parts.stream().map(StoredCheckpoint::manifest).toList());
        if (choice instanceof CheckpointSet.None none) {
          return new Refused(SyncRefusal.NO_CHECKPOINT, none.reason());
        }
        return new CheckpointOutcome.Found(((CheckpointSet.Serve) choice).snapshotHlc(),
            Source.from(parts).flatMapConcat(this::frames));
      });
    }

    /** One entity's latest checkpoint and the filter of its sync rules for this principal. */
    private CompletionStage<StoredCheckpoint> stored(String entityId) {
      return Stages.direct(sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, entityId)
              .<SyncGateway.CurrentSyncRules>ask(SyncGateway.GetSyncRules::new, askTimeout))
          .thenCompose(current -> offActor.run(() -> new StoredCheckpoint(entityId, checkpoints.latest(entityId),
              current.rules() == null ? RowFilter.ALL : current.rules().forClaims(claims))));
    }

    /** One chunk read at a time, as the client takes them; a chunk with no row left for this client is skipped. */
    private Source<ByteString, NotUsed> frames(StoredCheckpoint stored) {
      return Source.from(stored.manifest().orElseThrow().chunks())
          .mapAsync(1, chunk -> offActor.run(() ->
              CheckpointFrames.frame(checkpoints.chunk(stored.entityId(), chunk), stored.filter())))
          .filter(Optional::isPresent)
          .map(Optional::get);
    }

    /**
     * Runs the push's actions on the gateway's actions entity, as LakeSync's dispatcher does:
     * clientId = token {@code sub} first, then every action's shape (a malformed one refuses the
     * whole push before any runs), then one answer per action.
     */
    public CompletionStage<ActionOutcome> act(ActionPush push) {
      if (!mayActAs(push.getClientId())) {
        return CompletableFuture.completedFuture(new Refused(SyncRefusal.CLIENT_MISMATCH,
            "action clientId differs from the token's sub"));
      }
      List<Action> actions;
      try {
        actions = WireActions.fromWire(push.getActionsList());
      } catch (ProtocolException e) {
        return CompletableFuture.completedFuture(new Refused(SyncRefusal.INVALID_ACTION, e.getMessage()));
      }
      ActionContext context = new ActionContext(gatewayId,
          principal.map(JwtAuth.Principal::clientId).orElse(push.getClientId()), claims);
      return Stages.direct(sharding.entityRefFor(GatewayActions.ENTITY_TYPE_KEY, gatewayId)
              .<GatewayActions.ExecuteReply>ask(replyTo -> new GatewayActions.Execute(actions, context, replyTo),
                  actionSettings.askTimeout()))
          .thenApply(reply -> reply instanceof GatewayActions.Executed executed
              ? new ActionOutcome.Answered(executed)
              : new Unavailable(Unavailable.Cause.JOURNAL_UNAVAILABLE, ((GatewayActions.NotJournaled) reply).message(),
                  actionSettings.journalBackoff().min()));
    }

    /** The node's connectors and their action types (every node has the same handlers). */
    public Map<String, List<ActionDescriptor>> actionCatalogue() {
      return actionHandlers.describe();
    }

    /** A push's outcome for the metrics: its deltas counted when accepted, a backpressure refusal counted. */
    private RequestTimer.Outcome pushed(PushOutcome outcome) {
      if (outcome instanceof PushOutcome.Accepted accepted) {
        meters.deltas().increment(accepted.ack().accepted());
      } else if (outcome instanceof Unavailable unavailable && unavailable.cause() == Unavailable.Cause.BACKPRESSURE) {
        SyncService.this.meters.backpressure().increment();
      }
      return outcome(outcome);
    }

    /** With auth off anyone may; else only the token's {@code sub}. */
    private boolean mayActAs(String clientId) {
      return principal.isEmpty() || principal.get().clientId().equals(clientId);
    }
  }

  /** An entity's latest checkpoint, if any, and the filter of its sync rules for one principal. */
  private record StoredCheckpoint(String entityId, Optional<CheckpointManifest> manifest, RowFilter filter) {}

  private static RequestTimer.Outcome outcome(Object outcome) {
    if (outcome instanceof Refused) {
      return RequestTimer.Outcome.REFUSED;
    }
    return outcome instanceof Unavailable ? RequestTimer.Outcome.UNAVAILABLE : RequestTimer.Outcome.OK;
  }

  private static PushOutcome pushOutcome(SyncGateway.PushReply reply) {
    if (reply instanceof SyncGateway.PushAccepted accepted) {
      return new PushOutcome.Accepted(accepted);
    }
    if (reply instanceof SyncGateway.PushThrottled throttled) {
      return new Unavailable(Unavailable.Cause.BACKPRESSURE, throttled.message(), throttled.retryAfter());
    }
    if (reply instanceof SyncGateway.PushNotJournaled notJournaled) {
      return new Unavailable(Unavailable.Cause.JOURNAL_UNAVAILABLE, notJournaled.message(), notJournaled.retryAfter());
    }
    SyncGateway.PushRefused refused = (SyncGateway.PushRefused) reply;
    SyncRefusal reason = switch (refused.reason()) {
      case INVALID_DELTA -> SyncRefusal.INVALID_DELTA;
      case CLOCK_DRIFT -> SyncRefusal.CLOCK_DRIFT;
      case SCHEMA_MISMATCH -> SyncRefusal.SCHEMA_MISMATCH;
    };
    return new Refused(reason, refused.message());
  }
}
