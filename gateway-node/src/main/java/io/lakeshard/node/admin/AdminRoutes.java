package io.lakeshard.node.admin;

import static io.lakeshard.node.http.JsonErrors.FLUSH_ERROR;
import static io.lakeshard.node.http.JsonErrors.FORBIDDEN;
import static io.lakeshard.node.http.JsonErrors.SCHEMA_ERROR;
import static io.lakeshard.node.http.JsonErrors.error;

import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.core.rules.SyncRules;
import io.lakeshard.core.rules.SyncRulesParser;
import io.lakeshard.core.schema.TableSchema;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.auth.NodeTokens;
import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.RequestBodies;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.livestore.LiveStoreService;
import io.lakeshard.node.Stages;
import io.lakeshard.node.sync.GatewayShards;
import io.lakeshard.node.metrics.NodeMetrics;
import io.lakeshard.node.workspace.GatewayAuth;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What operators call: {@code admin/metrics/{gw}}, {@code admin/flush/{gw}}, {@code
 * admin/checkpoint/{gw}}, {@code admin/shards/{gw}}, {@code admin/schema/{gw}}, {@code
 * admin/sync-rules/{gw}} (an admin token for that gateway), {@code admin/cluster}, {@code
 * admin/throughput} (this node's counters) and {@code admin/livestore/{storeId}} (any admin
 * token), and {@code /health}. In workspace mode a gateway's
 * and a store's admin routes take an admin or owner of that workspace; cluster stays node-wide.
 */
public final class AdminRoutes extends AllDirectives {
  /** Time past the lake-write timeout for the route's 503 to be rendered and sent. */
  private static final Duration LAKE_WRITE_ANSWER_MARGIN = Duration.ofSeconds(5);
  private final ClusterSharding sharding;
  private final NodeTokens tokens;
  private final GatewayAuth gatewayAuth;
  private final ClusterAdmin clusterAdmin;
  private final Duration askTimeout;
  private final Duration lakeWriteTimeout;
  private final long maxBodyBytes;
  private final RequestBodies bodies;
  private final GatewayShards shards;
  private final NodeMetrics metrics;

  public AdminRoutes(ActorSystem<?> system, NodeSettings settings, NodeTokens tokens, GatewayAuth gatewayAuth,
                     RequestBodies bodies) {
    this.sharding = ClusterSharding.get(system);
    this.tokens = tokens;
    this.gatewayAuth = gatewayAuth;
    this.askTimeout = settings.askTimeout();
    this.lakeWriteTimeout = settings.lakeWriteTimeout();
    this.maxBodyBytes = settings.maxBodyBytes();
    this.bodies = bodies;
    this.shards = settings.shards();
    this.clusterAdmin = new ClusterAdmin(system, askTimeout);
    this.metrics = NodeMetrics.get(system);
  }

  public Route health() {
    return path("health", () -> get(() -> JsonBodies.complete(StatusCodes.OK, new AdminBodies.Health("ok"))));
  }

  public Route routes() {
    return pathPrefix("admin", () -> concat(
        path("cluster", () -> get(() -> tokens.admin(() ->
            onSuccess(clusterAdmin.describe(), view -> JsonBodies.complete(StatusCodes.OK, view))))),
        path("throughput", () -> get(() -> tokens.admin(() ->
            JsonBodies.complete(StatusCodes.OK, AdminBodies.Throughput.of(metrics))))),
        path(PathMatchers.segment("livestore").slash(PathMatchers.segment()), storeId ->
            get(() -> gatewayAuth.workspaces() ? admin(storeId, () -> store(storeId))
                : tokens.admin(() -> store(storeId)))),
        path(PathMatchers.segment("metrics").slash(PathMatchers.segment()), gatewayId ->
            get(() -> admin(gatewayId, () -> metrics(gatewayId)))),
        path(PathMatchers.segment("flush").slash(PathMatchers.segment()), gatewayId ->
            post(() -> admin(gatewayId, () -> waitingForTheLake(() -> flush(gatewayId))))),
        path(PathMatchers.segment("checkpoint").slash(PathMatchers.segment()), gatewayId ->
            post(() -> admin(gatewayId, () -> waitingForTheLake(() -> checkpoint(gatewayId))))),
        path(PathMatchers.segment("shards").slash(PathMatchers.segment()), gatewayId ->
            get(() -> admin(gatewayId, () -> JsonBodies.complete(StatusCodes.OK,
                AdminBodies.ShardMap.of(gatewayId, shards.of(gatewayId)))))),
        path(PathMatchers.segment("schema").slash(PathMatchers.segment()), gatewayId ->
            post(() -> admin(gatewayId, () -> bodies.strict(maxBodyBytes, body ->
                registerSchema(gatewayId, body))))),
        path(PathMatchers.segment("sync-rules").slash(PathMatchers.segment()), gatewayId -> concat(
            post(() -> admin(gatewayId, () -> bodies.strict(maxBodyBytes, body -> saveSyncRules(gatewayId, body)))),
            get(() -> admin(gatewayId, () -> syncRules(gatewayId)))))));
  }

  /**
   * An admin token for this gateway (with auth off, anyone); in workspace mode an admin or owner
   * of the workspace, or the server bypass ({@link GatewayAuth}).
   */
  private Route admin(String gatewayId, Supplier<Route> inner) {
    return gatewayAuth.principal(gatewayId, principal -> principal.isPresent() && !principal.get().isFor(gatewayId)
        ? error(StatusCodes.FORBIDDEN, FORBIDDEN, "token is not for gateway " + gatewayId)
        : NodeTokens.admin(principal, inner));
  }

  /** A LiveStore store as its entity describes it (any admin token: stores are no gateways). */
  private Route store(String storeId) {
    if (!LiveStoreService.validStoreId(storeId)) {
      return error(StatusCodes.BAD_REQUEST, "VALIDATION_ERROR", "not a LiveStore storeId: " + storeId);
    }
    return onSuccess(sharding.entityRefFor(EventStore.ENTITY_TYPE_KEY, storeId)
            .<EventStore.Info>ask(EventStore.GetInfo::new, askTimeout),
        info -> JsonBodies.complete(StatusCodes.OK, AdminBodies.StoreInfo.of(info)));
  }

  /** A sharded gateway's metrics are its shards' together, as LakeSync's shard router sums them. */
  private Route metrics(String gatewayId) {
    return ServerTiming.entity(() -> everyShard(gatewayId, SyncGateway.GetStats::new, askTimeout),
        stats -> JsonBodies.complete(StatusCodes.OK, AdminBodies.Metrics.of(stats)));
  }

  /**
   * A route that waits for a lake write: the server's request timeout (Pekko's 20 s default
   * answers a bare 503 text) is lifted past the lake-write timeout, so the caller gets the
   * route's own JSON answer, or its 503 once the lake-write timeout is up.
   */
  private Route waitingForTheLake(Supplier<Route> inner) {
    return withRequestTimeout(lakeWriteTimeout.plus(LAKE_WRITE_ANSWER_MARGIN), inner);
  }

  /** Flushes now (every shard) and answers with what was written (LakeSync's admin flush). */
  private Route flush(String gatewayId) {
    // A flush is the lake's work (data files, the catalogue commit) with two journal writes around it.
    return ServerTiming.lake(() -> everyShard(gatewayId, SyncGateway.Flush::new, lakeWriteTimeout),
        replies -> replies.stream()
            .filter(SyncGateway.FlushFailed.class::isInstance)
            .map(failed -> error(StatusCodes.SERVICE_UNAVAILABLE, FLUSH_ERROR, ((SyncGateway.FlushFailed) failed).message()
                + "; the buffer is kept and the flush retried with backoff"))
            .findFirst()
            .orElseGet(() -> JsonBodies.complete(StatusCodes.OK, AdminBodies.Flushed.of(replies))));
  }

  /**
   * Writes a checkpoint now and answers with the latest one (the same, if nothing changed since).
   * A sharded gateway's shards all write theirs at one stamp, which the download serves them at.
   */
  private Route checkpoint(String gatewayId) {
    CompletionStage<List<SyncGateway.CheckpointReply>> replies = commonStamp(gatewayId).thenCompose(at ->
        everyShard(gatewayId, (ActorRef<SyncGateway.CheckpointReply> replyTo) -> new SyncGateway.Checkpoint(replyTo, at),
            lakeWriteTimeout));
    return onSuccess(replies, written -> written.stream()
        .filter(SyncGateway.CheckpointFailed.class::isInstance)
        .map(failed -> error(StatusCodes.SERVICE_UNAVAILABLE, "CHECKPOINT_WRITE_ERROR",
            ((SyncGateway.CheckpointFailed) failed).message() + "; it is retried with backoff"))
        .findFirst()
        .orElseGet(() -> JsonBodies.complete(StatusCodes.OK, AdminBodies.Checkpointed.of(written))));
  }

  /**
   * 0 (as of now) for a gateway of one entity; for a sharded one, the lowest of its shards'
   * clocks: a pull past the end of every delta answers a shard's clock, which nothing the shard
   * accepts later is stamped at or below, so each shard's checkpoint at it is complete for good.
   */
  private CompletionStage<Long> commonStamp(String gatewayId) {
    if (shards.of(gatewayId).isEmpty()) {
      return CompletableFuture.completedFuture(0L);
    }
    return everyShard(gatewayId, (ActorRef<SyncGateway.PullResult> replyTo) ->
            new SyncGateway.Pull(-1L, 1, Map.of(), replyTo), askTimeout)
        .thenApply(clocks -> clocks.stream()
            .mapToLong(clock -> ((SyncGateway.PullReply) clock).serverHlc()) // past the end: never the lake
            .reduce((a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b)
            .orElseThrow());
  }

  private Route registerSchema(String gatewayId, byte[] body) {
    TableSchema schema;
    try {
      schema = TableSchema.parse(body);
    } catch (TableSchema.InvalidSchemaException e) {
      return error(StatusCodes.BAD_REQUEST, SCHEMA_ERROR, e.getMessage());
    }
    String entityId = shards.of(gatewayId).map(layout -> layout.entityOf(schema.table())).orElse(gatewayId);
    return onSuccess(gateway(entityId).<SyncGateway.SchemaReply>ask(
            replyTo -> new SyncGateway.RegisterSchema(schema, replyTo), askTimeout),
        reply -> reply instanceof SyncGateway.SchemaSaved saved
            ? JsonBodies.complete(StatusCodes.OK, new AdminBodies.SchemaSaved(true, saved.table(), saved.columns()))
            : error(StatusCodes.CONFLICT, SCHEMA_ERROR, ((SyncGateway.SchemaRefused) reply).message()));
  }

  /** As LakeSync's worker: its validation's first complaint as a 400, else {@code {"saved": true}} once journaled. */
  private Route saveSyncRules(String gatewayId, byte[] body) {
    SyncRules rules;
    try {
      rules = SyncRulesParser.parse(body);
    } catch (SyncRulesParser.InvalidSyncRulesException e) {
      return error(StatusCodes.BAD_REQUEST, "VALIDATION_ERROR", e.getMessage());
    }
    // Every shard filters its own part of a pull and its own broadcasts, so each journals the rules.
    return onSuccess(everyShard(gatewayId, (ActorRef<SyncGateway.SyncRulesSaved> replyTo) ->
            new SyncGateway.SaveSyncRules(rules, replyTo), askTimeout),
        saved -> JsonBodies.complete(StatusCodes.OK, new AdminBodies.RulesSaved(true)));
  }

  /** The rules as saved (LakeSync's shape), or 404 when the gateway has none. */
  private Route syncRules(String gatewayId) {
    return onSuccess(gateway(gatewayId).<SyncGateway.CurrentSyncRules>ask(SyncGateway.GetSyncRules::new, askTimeout),
        current -> current.rules() == null
            ? error(StatusCodes.NOT_FOUND, "NOT_FOUND", "gateway " + gatewayId + " has no sync rules")
            : JsonBodies.complete(StatusCodes.OK, current.rules()));
  }

  /** The answers of each of the gateway's entities: one, unless it is sharded. */
  private <T> CompletionStage<List<T>> everyShard(String gatewayId, Function<ActorRef<T>, SyncGateway.Command> ask,
                                                  Duration timeout) {
    List<String> entityIds = shards.of(gatewayId).map(GatewayShards.Layout::entityIds).orElse(List.of(gatewayId));
    List<CompletableFuture<T>> replies = entityIds.stream()
        .map(entityId -> Stages.direct(gateway(entityId).ask(ask::apply, timeout)).toCompletableFuture())
        .toList();
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
        .thenApply(done -> replies.stream().map(CompletableFuture::join).toList());
  }

  private EntityRef<SyncGateway.Command> gateway(String gatewayId) {
    return sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, gatewayId);
  }
}
