package io.lakeshard.node.sync;

import static io.lakeshard.node.http.JsonErrors.VALIDATION_ERROR;
import static io.lakeshard.node.http.JsonErrors.error;

import io.lakeshard.core.action.ActionDescriptor;
import io.lakeshard.core.action.WireActions;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.node.claims.OpenSessions;
import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.node.http.RequestBodies;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.http.WebSocketCloseCodes;
import io.lakeshard.node.metrics.Transport;
import io.lakeshard.node.workspace.GatewayAuth;
import io.lakeshard.protocol.JsonCodec;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Flow;

/** HTTP surface of the sync gateways: parse, call the sync service, map its outcome to a status. */
public final class SyncRoutes extends AllDirectives {
  /** The version of the sync rules that filtered a pull's page; 0: the gateway has none. */
  private static final String RULES_VERSION = "X-Sync-Rules-Version";
  private final ActorSystem<?> system;
  private final NodeSettings settings;
  private final SyncService service;
  private final GatewayAuth auth;
  private final OpenSessions openSessions;
  private final RequestBodies bodies;
  private final WebSocketCloseCodes webSockets;

  public SyncRoutes(ActorSystem<?> system, NodeSettings settings, SyncService service, GatewayAuth auth,
                    OpenSessions openSessions, RequestBodies bodies) {
    this.system = system;
    this.settings = settings;
    this.service = service;
    this.auth = auth;
    this.openSessions = openSessions;
    this.bodies = bodies;
    this.webSockets = new WebSocketCloseCodes(system, settings.wsMaxFrameBytes(), settings.wsCloseTimeout());
  }

  /** LakeSync's checkpoint download: length-prefixed protobuf SyncResponse frames. */
  private static final ContentType CHECKPOINT_STREAM =
      ContentTypes.create(MediaTypes.customBinary("application", "x-lakesync-checkpoint-stream", false));

  /** {@code GET /actions}: LakeSync's ActionDiscovery. */
  record ActionCatalogue(Map<String, List<ActionDescriptor>> connectors) {}

  /** {@code sync/{gw}/push}, {@code /pull}, {@code /ws}, {@code /checkpoint}, {@code /action} and
   * {@code /actions}. */
  public Route routes() {
    return pathPrefix("sync", () -> pathPrefix(PathMatchers.segment(), gatewayId -> concat(
        path("push", () -> post(() -> gateway(gatewayId, gateway ->
            bodies.strict(settings.maxBodyBytes(), body -> push(gateway, body))))),
        path("ws", () -> get(() -> auth.caller(gatewayId, caller -> opened(caller.principal(), gatewayId, Transport.WS, gateway ->
            extractRequest(request -> request.getAttribute(AttributeKeys.webSocketUpgrade)
                .flatMap(upgrade -> webSockets.upgrade(upgrade, socket(gateway, caller.holder())))
                .map(this::complete)
                .orElseGet(() -> error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR, "expected a WebSocket upgrade"))))))),
        path("pull", () -> get(() -> gateway(gatewayId, gateway ->
            parameterOptional("since", since ->
                parameterOptional("limit", limit -> pull(gateway, since, limit)))))),
        path("checkpoint", () -> get(() -> gateway(gatewayId, this::checkpoint))),
        path("action", () -> post(() -> gateway(gatewayId, gateway ->
            bodies.strict(settings.maxBodyBytes(), body -> act(gateway, body))))),
        path("actions", () -> get(() -> gateway(gatewayId, gateway ->
            JsonBodies.complete(StatusCodes.OK, new ActionCatalogue(gateway.actionCatalogue()))))))));
  }

  /** The gateway as the token's holder may use it, or the refusal. */
  private Route gateway(String gatewayId, Function<SyncService.Gateway, Route> inner) {
    return auth.principal(gatewayId, principal -> opened(principal, gatewayId, Transport.HTTP, inner));
  }

  private Route opened(Optional<JwtAuth.Principal> principal, String gatewayId, Transport transport,
                       Function<SyncService.Gateway, Route> inner) {
    SyncService.Access access = service.open(principal, gatewayId, transport);
    return access instanceof SyncService.Gateway gateway ? inner.apply(gateway) : refused((Refused) access);
  }

  /** A session of a workspace token is cut when the token is revoked or past its grace. */
  private Flow<Message, Message, NotUsed> socket(SyncService.Gateway gateway, Optional<OpenSessions.SessionHolder> holder) {
    Flow<Message, Message, NotUsed> flow = service.webSockets().counting(
        new SyncSocket(gateway, settings.wsMaxFrameBytes(), settings.wsBroadcastBuffer()).flow());
    return openSessions.revocable(holder, flow);
  }

  private Route push(SyncService.Gateway gateway, byte[] body) {
    SyncPush push;
    try {
      push = JsonCodec.decodePush(body);
    } catch (ProtocolException e) {
      return error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR, e.getMessage());
    }
    return ServerTiming.entity(() -> gateway.push(push, null), SyncRoutes::journalNanos, outcome ->
        outcome instanceof PushOutcome.Accepted accepted
        ? complete(JsonBodies.json(StatusCodes.OK, JsonCodec.encodePushAck(accepted.ack().serverHlc(),
            accepted.ack().accepted(), WireDeltas.toWire(accepted.ack().deltas()))))
        : notServed(outcome));
  }

  private Route pull(SyncService.Gateway gateway, Optional<String> sinceParam, Optional<String> limitParam) {
    long since;
    long limit;
    try {
      since = sinceParam.map(Long::parseUnsignedLong).orElse(0L);
      limit = limitParam.map(Long::parseLong).orElse(0L);
    } catch (NumberFormatException e) {
      return error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR, "since must be a decimal HLC and limit an integer");
    }
    return ServerTiming.entity(() -> gateway.pull(since, limit), outcome -> outcome instanceof PullOutcome.Page page
        ? complete(JsonBodies.json(StatusCodes.OK, JsonCodec.encodeResponse(SyncResponse.newBuilder()
                .addAllDeltas(WireDeltas.toWire(page.page().deltas()))
                .setServerHlc(page.page().serverHlc())
                .setHasMore(page.page().hasMore())
                .build()))
            .addHeader(RawHeader.create(RULES_VERSION, Long.toString(page.page().rulesVersion()))))
        : notServed(outcome));
  }

  /** Streamed (chunked) as the store gives the chunks, with the snapshot stamp the client pulls from next. */
  private Route checkpoint(SyncService.Gateway gateway) {
    // The manifest's read from the object store (the chunks stream after the headers).
    return ServerTiming.lake(gateway::checkpoint, outcome -> outcome instanceof CheckpointOutcome.Found found
        ? complete(HttpResponse.create()
            .withStatus(StatusCodes.OK)
            .addHeader(RawHeader.create("X-Checkpoint-Hlc", found.snapshotHlc()))
            .withEntity(HttpEntities.create(CHECKPOINT_STREAM, found.frames())))
        : notServed(outcome));
  }

  private Route act(SyncService.Gateway gateway, byte[] body) {
    ActionPush push;
    try {
      push = JsonCodec.decodeActionPush(body);
    } catch (ProtocolException e) {
      return refused(new Refused(SyncRefusal.INVALID_ACTION, e.getMessage()));
    }
    return ServerTiming.entity(() -> gateway.act(push), outcome -> outcome instanceof ActionOutcome.Answered answered
        ? complete(JsonBodies.json(StatusCodes.OK,
            JsonCodec.encodeActionResponse(WireActions.toWire(answered.answers()))))
        : notServed(outcome));
  }

  private static long journalNanos(PushOutcome outcome) {
    return outcome instanceof PushOutcome.Accepted accepted ? accepted.ack().journalNanos() : 0;
  }

  /** A refused or unavailable outcome as its error answer. */
  private static Route notServed(Object outcome) {
    return outcome instanceof Refused refused ? refused(refused) : unavailable((Unavailable) outcome);
  }

  /** LakeSync's status and code for each refusal (its validation.ts and pushErrorToStatus). */
  private static Route refused(Refused refused) {
    String message = refused.message();
    return switch (refused.reason()) {
      case INVALID_GATEWAY, TOO_MANY_DELTAS, INVALID_DELTA, INVALID_LIMIT, INVALID_ACTION ->
          error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR, message);
      case WRONG_GATEWAY, CLIENT_MISMATCH -> error(StatusCodes.FORBIDDEN, JsonErrors.FORBIDDEN, message);
      case CLOCK_DRIFT -> error(StatusCodes.CONFLICT, JsonErrors.CLOCK_DRIFT, message);
      case SCHEMA_MISMATCH -> error(StatusCodes.UNPROCESSABLE_CONTENT, JsonErrors.SCHEMA_ERROR, message);
      case NO_CHECKPOINT -> error(StatusCodes.NOT_FOUND, JsonErrors.NOT_FOUND, message);
    };
  }

  /** 503 with Retry-After: LakeSync's code for backpressure, Lakeshard's own for what LakeSync answers 500. */
  private static Route unavailable(Unavailable unavailable) {
    String code = switch (unavailable.cause()) {
      case BACKPRESSURE -> JsonErrors.BACKPRESSURE_ERROR;
      case LAKE_UNAVAILABLE, JOURNAL_UNAVAILABLE -> unavailable.cause().name();
    };
    return JsonErrors.retryLater(JsonErrors.Family.SYNC, code, unavailable.message(), unavailable.retryAfter());
  }
}
