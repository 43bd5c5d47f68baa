package io.lakeshard.node.sync;

import static io.lakeshard.node.http.JsonErrors.error;

import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.core.schema.TableSchema;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.admin.ClusterAdmin;
import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.node.http.WebSocketCloseCodes;
import io.lakeshard.protocol.JsonCodec;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpCredentials;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** HTTP surface of the sync gateways: parse, authorize, ask the entity, map its reply. */
public final class SyncRoutes extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(SyncRoutes.class);
  /** A pull that needs the lake while it is unreachable: try again shortly. */
  private static final Duration LAKE_RETRY_AFTER = Duration.ofSeconds(5);
  private static final Pattern GATEWAY_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final WebSocketCloseCodes webSockets;
  private final NodeSettings settings;
  private final Optional<JwtAuth> auth;
  private final ClusterAdmin clusterAdmin;

  public SyncRoutes(ActorSystem<?> system, NodeSettings settings, Optional<JwtAuth> auth) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.webSockets = new WebSocketCloseCodes(system);
    this.settings = settings;
    this.auth = auth;
    this.clusterAdmin = new ClusterAdmin(system, settings.askTimeout());
  }

  public Route routes() {
    return handleExceptions(errors(), () -> handleRejections(jsonRejections(), () -> concat(
        path("health", () -> get(() -> json(StatusCodes.OK, "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8)))),
        pathPrefix("v1", () -> concat(syncRoutes(), adminRoutes())),
        syncRoutes(),
        adminRoutes())));
  }

  /** Pekko's rejections (404, 405, ...) with the same JSON error body as every other error. */
  private static RejectionHandler jsonRejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (!(response.entity() instanceof HttpEntity.Strict strict)
          || !strict.getContentType().mediaType().equals(MediaTypes.TEXT_PLAIN)) {
        return response;
      }
      String code = response.status().reason().toUpperCase(Locale.ROOT).replace(' ', '_');
      return response.withEntity(ContentTypes.APPLICATION_JSON,
          JsonCodec.encodeError(code, strict.getData().utf8String()));
    });
  }

  private Route syncRoutes() {
    return pathPrefix("sync", () -> pathPrefix(PathMatchers.segment(), gatewayId -> {
      if (!GATEWAY_ID.matcher(gatewayId).matches()) {
        return error(StatusCodes.BAD_REQUEST, "INVALID_GATEWAY", "gateway id must match " + GATEWAY_ID);
      }
      return concat(
          path("push", () -> post(() -> authorized(gatewayId, principal ->
              extractRequestEntity(request -> request.getContentLengthOption().orElse(0L) > settings.maxBodyBytes()
                  ? tooLarge()
                  : extractStrictEntity(settings.askTimeout(), settings.maxBodyBytes(), entity ->
                      push(gatewayId, principal, entity.getData().toArray())))))),
          path("ws", () -> get(() -> authorized(gatewayId, principal ->
              extractRequest(request -> request.getAttribute(AttributeKeys.webSocketUpgrade)
                  .flatMap(upgrade -> webSockets.upgrade(upgrade,
                      new SyncSocket(system, gateway(gatewayId), principal, settings).flow()))
                  .map(this::complete)
                  .orElseGet(() -> error(StatusCodes.BAD_REQUEST, "NOT_WEBSOCKET", "expected a WebSocket upgrade")))))),
          path("pull", () -> get(() -> authorized(gatewayId, principal ->
              parameterOptional("since", since ->
                  parameterOptional("limit", limit -> pull(gatewayId, since, limit)))))));
    }));
  }

  private Route adminRoutes() {
    return pathPrefix("admin", () -> concat(
        path("cluster", () -> get(() -> authenticated(principal -> principal.isPresent() && !principal.get().admin()
            ? error(StatusCodes.FORBIDDEN, "FORBIDDEN", "admin role required")
            : onSuccess(clusterAdmin.describe(), body -> json(StatusCodes.OK, body))))),
        path(PathMatchers.segment("metrics").slash(PathMatchers.segment()), gatewayId ->
            get(() -> admin(gatewayId, () -> metrics(gatewayId)))),
        path(PathMatchers.segment("flush").slash(PathMatchers.segment()), gatewayId ->
            post(() -> admin(gatewayId, () -> flush(gatewayId)))),
        path(PathMatchers.segment("schema").slash(PathMatchers.segment()), gatewayId ->
            post(() -> admin(gatewayId, () ->
                extractStrictEntity(settings.askTimeout(), settings.maxBodyBytes(), entity ->
                    registerSchema(gatewayId, entity.getData().toArray())))))));
  }

  /** The admin role on top of the gateway's own token check. */
  private Route admin(String gatewayId, Supplier<Route> inner) {
    return authorized(gatewayId, principal -> principal.isPresent() && !principal.get().admin()
        ? error(StatusCodes.FORBIDDEN, "FORBIDDEN", "admin role required")
        : inner.get());
  }

  private Route registerSchema(String gatewayId, byte[] body) {
    TableSchema schema;
    try {
      schema = TableSchema.parse(body);
    } catch (TableSchema.InvalidSchemaException e) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_SCHEMA", e.getMessage());
    }
    return onSuccess(gateway(gatewayId).<SyncGateway.SchemaReply>ask(
            replyTo -> new SyncGateway.RegisterSchema(schema, replyTo), settings.askTimeout()),
        reply -> reply instanceof SyncGateway.SchemaSaved saved
            ? json(StatusCodes.OK, JsonCodec.write(gen -> {
                gen.writeStartObject();
                gen.writeBooleanField("saved", true);
                gen.writeStringField("table", saved.table());
                gen.writeNumberField("columns", saved.columns());
                gen.writeEndObject();
              }))
            : error(StatusCodes.CONFLICT, "SCHEMA_CONFLICT", ((SyncGateway.SchemaRefused) reply).message()));
  }

  /** Flushes now and answers with what was written (LakeSync's admin flush). */
  private Route flush(String gatewayId) {
    return onSuccess(gateway(gatewayId).<SyncGateway.FlushReply>ask(SyncGateway.Flush::new, settings.askTimeout()),
        this::flushReply);
  }

  private Route flushReply(SyncGateway.FlushReply reply) {
    if (reply instanceof SyncGateway.FlushFailed failed) {
      return error(StatusCodes.SERVICE_UNAVAILABLE, "FLUSH_FAILED",
          failed.message() + "; the buffer is kept and the flush retried with backoff");
    }
    List<FlushResult.DataFileWritten> files = reply instanceof SyncGateway.FlushDone done ? done.result().files() : List.of();
    return json(StatusCodes.OK, JsonCodec.write(gen -> {
      gen.writeStartObject();
      gen.writeBooleanField("flushed", reply instanceof SyncGateway.FlushDone);
      if (reply instanceof SyncGateway.FlushDone done) {
        gen.writeNumberField("seq", done.result().seq());
      }
      gen.writeNumberField("rows", files.stream().mapToLong(FlushResult.DataFileWritten::rows).sum());
      gen.writeNumberField("bytes", files.stream().mapToLong(FlushResult.DataFileWritten::bytes).sum());
      gen.writeArrayFieldStart("files");
      for (FlushResult.DataFileWritten file : files) {
        gen.writeStartObject();
        gen.writeStringField("table", file.table());
        gen.writeStringField("file", file.location());
        gen.writeNumberField("rows", file.rows());
        gen.writeNumberField("bytes", file.bytes());
        gen.writeStringField("snapshotId", Long.toString(file.snapshotId()));
        gen.writeBooleanField("alreadyCommitted", file.alreadyCommitted());
        gen.writeEndObject();
      }
      gen.writeEndArray();
      gen.writeEndObject();
    }));
  }

  private Route metrics(String gatewayId) {
    return onSuccess(gateway(gatewayId).<SyncGateway.Stats>ask(SyncGateway.GetStats::new, settings.askTimeout()),
        stats -> json(StatusCodes.OK, JsonCodec.write(gen -> {
          gen.writeStartObject();
          gen.writeNumberField("logSize", stats.bufferedDeltas());
          gen.writeNumberField("indexSize", stats.rows());
          gen.writeNumberField("byteSize", stats.bufferedBytes());
          gen.writeStringField("serverHlc", Long.toUnsignedString(stats.serverHlc()));
          gen.writeNumberField("sessions", stats.sessions());
          gen.writeNumberField("lastFlushSeq", stats.lastFlushSeq());
          gen.writeStringField("flushedUpTo", Long.toUnsignedString(stats.flushedUpTo()));
          gen.writeEndObject();
        })));
  }


  private Route push(String gatewayId, Optional<JwtAuth.Principal> principal, byte[] body) {
    SyncPush push;
    try {
      push = JsonCodec.decodePush(body);
    } catch (ProtocolException e) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_JSON", e.getMessage());
    }
    if (push.getDeltasCount() > settings.maxDeltasPerPush()) {
      return error(StatusCodes.CONTENT_TOO_LARGE, "TOO_MANY_DELTAS",
          push.getDeltasCount() + " deltas in one push; the limit is " + settings.maxDeltasPerPush());
    }
    if (principal.isPresent() && !principal.get().clientId().equals(push.getClientId())) {
      return error(StatusCodes.FORBIDDEN, "CLIENT_MISMATCH", "push clientId differs from the token's sub");
    }
    List<RowDelta> deltas;
    try {
      deltas = WireDeltas.fromWire(push.getDeltasList());
    } catch (ProtocolException e) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_DELTA", e.getMessage());
    }
    CompletionStage<SyncGateway.PushReply> reply = gateway(gatewayId).ask(
        replyTo -> new SyncGateway.Push(push.getClientId(), deltas, null, replyTo), settings.askTimeout());
    return onSuccess(reply, this::pushReply);
  }

  private Route pushReply(SyncGateway.PushReply reply) {
    if (reply instanceof SyncGateway.PushAccepted accepted) {
      return json(StatusCodes.OK,
          JsonCodec.encodePushAck(accepted.serverHlc(), accepted.accepted(), WireDeltas.toWire(accepted.deltas())));
    }
    if (reply instanceof SyncGateway.PushThrottled throttled) {
      return retryLater("BACKPRESSURE", throttled.message(), throttled.retryAfter());
    }
    SyncGateway.PushRefused refused = (SyncGateway.PushRefused) reply;
    return switch (refused.reason()) {
      case CLOCK_DRIFT -> error(StatusCodes.CONFLICT, "CLOCK_DRIFT", refused.message());
      case INVALID_DELTA -> error(StatusCodes.BAD_REQUEST, "INVALID_DELTA", refused.message());
      case SCHEMA_MISMATCH -> error(StatusCodes.UNPROCESSABLE_CONTENT, "SCHEMA_MISMATCH", refused.message());
    };
  }

  private Route pull(String gatewayId, Optional<String> sinceParam, Optional<String> limitParam) {
    long since;
    int limit;
    try {
      since = sinceParam.map(Long::parseUnsignedLong).orElse(0L);
      limit = limitParam.map(Integer::parseInt).orElse(settings.gateway().defaultPullLimit());
    } catch (NumberFormatException e) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_PARAMS", "since must be a decimal HLC and limit an integer");
    }
    if (limit < 1) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_PARAMS", "limit must be at least 1");
    }
    int bounded = Math.min(limit, settings.gateway().maxPullLimit());
    CompletionStage<SyncGateway.PullResult> reply = gateway(gatewayId).ask(
        replyTo -> new SyncGateway.Pull(since, bounded, replyTo), settings.askTimeout());
    return onSuccess(reply, result -> result instanceof SyncGateway.PullReply page
        ? json(StatusCodes.OK, JsonCodec.encodeResponse(SyncResponse.newBuilder()
            .addAllDeltas(WireDeltas.toWire(page.deltas()))
            .setServerHlc(page.serverHlc())
            .setHasMore(page.hasMore())
            .build()))
        : retryLater("LAKE_UNAVAILABLE", ((SyncGateway.PullFailed) result).message(), LAKE_RETRY_AFTER));
  }

  /**
   * Checks the bearer token (header, or {@code ?token=} for clients that cannot set headers) and
   * that it is for this gateway. With auth switched off, the inner route sees no principal.
   */
  private Route authorized(String gatewayId, Function<Optional<JwtAuth.Principal>, Route> inner) {
    return authenticated(principal -> principal.isPresent() && !gatewayId.equals(principal.get().gatewayId())
        ? error(StatusCodes.FORBIDDEN, "FORBIDDEN", "token is not for gateway " + gatewayId)
        : inner.apply(principal));
  }

  /** Checks the bearer token only; with auth switched off, the inner route sees no principal. */
  private Route authenticated(Function<Optional<JwtAuth.Principal>, Route> inner) {
    if (auth.isEmpty()) {
      return inner.apply(Optional.empty());
    }
    return optionalHeaderValueByType(org.apache.pekko.http.javadsl.model.headers.Authorization.class, header ->
        parameterOptional("token", queryToken -> {
          Optional<String> token = header.map(h -> h.credentials())
              .filter(c -> c.scheme().equalsIgnoreCase("bearer"))
              .map(HttpCredentials::token)
              .or(() -> queryToken);
          if (token.isEmpty()) {
            return error(StatusCodes.UNAUTHORIZED, "UNAUTHORIZED", "missing bearer token");
          }
          JwtAuth.Principal principal;
          try {
            principal = auth.get().verify(token.get());
          } catch (JwtAuth.InvalidTokenException e) {
            return error(StatusCodes.UNAUTHORIZED, "UNAUTHORIZED", e.getMessage());
          }
          return inner.apply(Optional.of(principal));
        }));
  }

  private EntityRef<SyncGateway.Command> gateway(String gatewayId) {
    return sharding.entityRefFor(SyncGateway.ENTITY_TYPE_KEY, gatewayId);
  }

  private ExceptionHandler errors() {
    return JsonErrors.handler("gateway", settings.maxBodyBytes());
  }

  private Route tooLarge() {
    return JsonErrors.tooLarge(settings.maxBodyBytes());
  }

  /** 503 with Retry-After (whole seconds, at least 1). */
  private Route retryLater(String code, String message, Duration retryAfter) {
    return complete(HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
        .addHeader(RetryAfter.create(Math.max(1, retryAfter.toSeconds())))
        .withEntity(ContentTypes.APPLICATION_JSON, JsonCodec.encodeError(code, message)));
  }

  private Route json(StatusCode status, byte[] body) {
    return complete(HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body));
  }
}
