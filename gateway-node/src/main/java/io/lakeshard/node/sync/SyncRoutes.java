package io.lakeshard.node.sync;

import static io.lakeshard.node.http.JsonErrors.error;

import io.lakeshard.core.action.ActionDescriptor;
import io.lakeshard.core.action.WireActions;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.auth.NodeTokens;
import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.node.http.RequestBodies;
import io.lakeshard.node.http.WebSocketCloseCodes;
import io.lakeshard.protocol.JsonCodec;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** HTTP surface of the sync gateways: parse, call the sync service, map its outcome to a status. */
public final class SyncRoutes extends AllDirectives {
  private final ActorSystem<?> system;
  private final NodeSettings settings;
  private final SyncService service;
  private final NodeTokens tokens;
  private final RequestBodies bodies;
  private final WebSocketCloseCodes webSockets;

  public SyncRoutes(ActorSystem<?> system, NodeSettings settings, SyncService service, NodeTokens tokens,
                    RequestBodies bodies) {
    this.system = system;
    this.settings = settings;
    this.service = service;
    this.tokens = tokens;
    this.bodies = bodies;
    this.webSockets = new WebSocketCloseCodes(system, settings.wsCloseTimeout());
  }

  /** {@code GET /actions}: LakeSync's ActionDiscovery. */
  record ActionCatalogue(Map<String, List<ActionDescriptor>> connectors) {}

  /** {@code sync/{gw}/push}, {@code /pull}, {@code /ws}, {@code /action} and {@code /actions}. */
  public Route routes() {
    return pathPrefix("sync", () -> pathPrefix(PathMatchers.segment(), gatewayId -> concat(
        path("push", () -> post(() -> gateway(gatewayId, gateway ->
            bodies.strict(settings.maxBodyBytes(), body -> push(gateway, body))))),
        path("ws", () -> get(() -> gateway(gatewayId, gateway ->
            extractRequest(request -> request.getAttribute(AttributeKeys.webSocketUpgrade)
                .flatMap(upgrade -> webSockets.upgrade(upgrade,
                    new SyncSocket(system, gateway, settings.wsMaxFrameBytes(), settings.wsBroadcastBuffer()).flow()))
                .map(this::complete)
                .orElseGet(() -> error(StatusCodes.BAD_REQUEST, "NOT_WEBSOCKET", "expected a WebSocket upgrade")))))),
        path("pull", () -> get(() -> gateway(gatewayId, gateway ->
            parameterOptional("since", since ->
                parameterOptional("limit", limit -> pull(gateway, since, limit)))))),
        path("action", () -> post(() -> gateway(gatewayId, gateway ->
            bodies.strict(settings.maxBodyBytes(), body -> act(gateway, body))))),
        path("actions", () -> get(() -> gateway(gatewayId, gateway ->
            JsonBodies.complete(StatusCodes.OK, new ActionCatalogue(gateway.actionCatalogue()))))))));
  }

  /** The gateway as the token's holder may use it, or the refusal. */
  private Route gateway(String gatewayId, Function<SyncService.Gateway, Route> inner) {
    return tokens.principal(principal -> {
      SyncService.Access access = service.open(principal, gatewayId);
      return access instanceof SyncService.Gateway gateway ? inner.apply(gateway) : refused((Refused) access);
    });
  }

  private Route push(SyncService.Gateway gateway, byte[] body) {
    SyncPush push;
    try {
      push = JsonCodec.decodePush(body);
    } catch (ProtocolException e) {
      return error(StatusCodes.BAD_REQUEST, "INVALID_JSON", e.getMessage());
    }
    return onSuccess(gateway.push(push, null), outcome -> outcome instanceof PushOutcome.Accepted accepted
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
      return error(StatusCodes.BAD_REQUEST, "INVALID_PARAMS", "since must be a decimal HLC and limit an integer");
    }
    return onSuccess(gateway.pull(since, limit), outcome -> outcome instanceof PullOutcome.Page page
        ? complete(JsonBodies.json(StatusCodes.OK, JsonCodec.encodeResponse(SyncResponse.newBuilder()
            .addAllDeltas(WireDeltas.toWire(page.page().deltas()))
            .setServerHlc(page.page().serverHlc())
            .setHasMore(page.page().hasMore())
            .build())))
        : notServed(outcome));
  }

  private Route act(SyncService.Gateway gateway, byte[] body) {
    ActionPush push;
    try {
      push = JsonCodec.decodeActionPush(body);
    } catch (ProtocolException e) {
      return refused(new Refused(SyncRefusal.INVALID_ACTION, e.getMessage()));
    }
    return onSuccess(gateway.act(push), outcome -> outcome instanceof ActionOutcome.Answered answered
        ? complete(JsonBodies.json(StatusCodes.OK,
            JsonCodec.encodeActionResponse(WireActions.toWire(answered.answers()))))
        : notServed(outcome));
  }

  /** A refused or unavailable outcome as its error answer. */
  private static Route notServed(Object outcome) {
    return outcome instanceof Refused refused ? refused(refused) : unavailable((Unavailable) outcome);
  }

  private static Route refused(Refused refused) {
    String message = refused.message();
    return switch (refused.reason()) {
      case INVALID_GATEWAY -> error(StatusCodes.BAD_REQUEST, "INVALID_GATEWAY", message);
      case WRONG_GATEWAY -> error(StatusCodes.FORBIDDEN, "FORBIDDEN", message);
      case CLIENT_MISMATCH -> error(StatusCodes.FORBIDDEN, "CLIENT_MISMATCH", message);
      case TOO_MANY_DELTAS -> error(StatusCodes.CONTENT_TOO_LARGE, "TOO_MANY_DELTAS", message);
      case INVALID_DELTA -> error(StatusCodes.BAD_REQUEST, "INVALID_DELTA", message);
      case INVALID_LIMIT -> error(StatusCodes.BAD_REQUEST, "INVALID_PARAMS", message);
      case CLOCK_DRIFT -> error(StatusCodes.CONFLICT, "CLOCK_DRIFT", message);
      case SCHEMA_MISMATCH -> error(StatusCodes.UNPROCESSABLE_CONTENT, "SCHEMA_MISMATCH", message);
      case INVALID_ACTION -> error(StatusCodes.BAD_REQUEST, "VALIDATION_ERROR", message);
    };
  }

  private static Route unavailable(Unavailable unavailable) {
    return JsonErrors.retryLater(unavailable.cause().name(), unavailable.message(), unavailable.retryAfter());
  }
}
