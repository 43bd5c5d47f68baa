package io.lakeshard.node.livestore;

import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.node.claims.OpenSessions;
import io.lakeshard.node.http.RequestBodies;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.http.WebSocketCloseCodes;
import io.lakeshard.node.metrics.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * LiveStore's sync endpoint on the node's HTTP port, {@code /livestore} and {@code /v1/livestore},
 * with the query LiveStore's client appends ({@code ?storeId=…&payload=…&transport=ws|http}).
 * Answers as LiveStore's worker does: 400 {@code Invalid path} without storeId and transport, 400
 * {@code CODE: message} for a refused storeId or payload (checked before anything else), 426 for
 * {@code transport=ws} without a WebSocket upgrade; {@code transport=http} takes one Effect RPC
 * request per POST and answers a JSON array of its messages (a pull: every page as a Chunk, then
 * the Exit).
 */
public final class LiveStoreRoutes extends AllDirectives {
  private final LiveStoreService service;
  private final LiveStoreSocket sockets;
  private final WebSocketCloseCodes webSockets;
  private final RequestBodies bodies;

  public LiveStoreRoutes(ActorSystem<?> system, LiveStoreService service, WebSocketCloseCodes webSockets,
                         RequestBodies bodies, OpenSessions openSessions) {
    this.service = service;
    this.sockets = new LiveStoreSocket(system, service, openSessions);
    this.webSockets = webSockets;
    this.bodies = bodies;
  }

  public Route routes() {
    return concat(
        path("livestore", this::sync),
        path(PathMatchers.segment("v1").slash("livestore"), this::sync));
  }

  private Route sync() {
    return parameterOptional("storeId", storeId -> parameterOptional("payload", payload ->
        parameterOptional("transport", transport -> {
          if (storeId.isEmpty() || transport.isEmpty() || !List.of("ws", "http").contains(transport.get())) {
            return text(StatusCodes.BAD_REQUEST, "Invalid path");
          }
          return onSuccess(service.open(storeId, payload), opened -> {
            if (opened instanceof LiveStoreService.Opened.Refused refused) {
              return text(StatusCodes.BAD_REQUEST, refused.text());
            }
            LiveStoreService.Store store = ((LiveStoreService.Opened.Accepted) opened).store();
            return transport.get().equals("ws") ? webSocket(store) : http(store);
          });
        })));
  }

  private Route webSocket(LiveStoreService.Store store) {
    return extractRequest(request -> request.getAttribute(AttributeKeys.webSocketUpgrade)
        .flatMap(upgrade -> webSockets.upgrade(upgrade, sockets.flow(store)))
        .map(this::complete)
        .orElseGet(() -> text(StatusCodes.UPGRADE_REQUIRED, "Durable Object expected Upgrade: websocket")));
  }

  private Route http(LiveStoreService.Store store) {
    return post(() -> bodies.strict(service.maxMessageBytes(), body -> {
      RpcFrame frame;
      try {
        frame = RpcFrames.decode(body, RpcFrames.Transport.HTTP);
      } catch (RpcFrames.Malformed e) {
        return text(StatusCodes.BAD_REQUEST, LiveStoreError.Code.INVALID_REQUEST + ": " + e.getMessage());
      }
      if (!(frame instanceof RpcFrame.Request request)) {
        return text(StatusCodes.BAD_REQUEST, LiveStoreError.Code.INVALID_REQUEST + ": one Request per POST");
      }
      return ServerTiming.entity(() -> service.admit(store, request).thenCompose(refusal -> refusal
              .map(error -> CompletableFuture.completedFuture(List.of(RpcReplies.failure(request.id(), error))))
              .orElseGet(() -> answer(store, request).toCompletableFuture())),
          messages -> complete(HttpResponse.create().withStatus(StatusCodes.OK)
              .withEntity(ContentTypes.APPLICATION_JSON, "[" + String.join(",", messages) + "]")));
    }));
  }

  private CompletionStage<List<String>> answer(LiveStoreService.Store store, RpcFrame.Request request) {
    if (request instanceof RpcFrame.Push push) {
      return service.push(store, push).thenApply(reply -> List.of(LiveStoreService.refusal(reply)
          .map(error -> RpcReplies.failure(push.id(), error))
          .orElseGet(() -> RpcReplies.pushAccepted(push.id()))));
    }
    if (request instanceof RpcFrame.Pull pull) {
      return pages(store, pull, pull.afterSeqNum(), new ArrayList<>());
    }
    return CompletableFuture.completedFuture(List.of(RpcReplies.httpPong(request.id())));
  }

  /** The pull's pages one after another, each a Chunk, then the Exit (HTTP pulls have no Acks). */
  private CompletionStage<List<String>> pages(LiveStoreService.Store store, RpcFrame.Pull pull, long after,
                                              List<String> messages) {
    Optional<String> backendId = pull.cursor().map(RpcFrame.Cursor::backendId);
    return service.page(store, after, backendId, Transport.HTTP).thenCompose(reply -> {
      if (!(reply instanceof EventStore.Page page)) {
        messages.add(RpcReplies.failure(pull.id(), LiveStoreService.refusal(reply)));
        return CompletableFuture.completedFuture(messages);
      }
      messages.add(RpcReplies.chunk(pull.id(), page.backendId(), page.events(), page.remaining()));
      if (page.remaining() == 0 || page.events().isEmpty()) {
        messages.add(RpcReplies.streamEnd(pull.id()));
        return CompletableFuture.completedFuture(messages);
      }
      return pages(store, pull, page.events().get(page.events().size() - 1).seqNum(), messages);
    });
  }

  private Route text(StatusCode status, String text) {
    return complete(HttpResponse.create().withStatus(status).withEntity(ContentTypes.TEXT_PLAIN_UTF8, text));
  }
}
