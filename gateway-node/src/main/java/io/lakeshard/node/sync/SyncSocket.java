package io.lakeshard.node.sync;

import static io.lakeshard.node.http.WebSocketCloseCodes.MESSAGE_TOO_BIG;
import static io.lakeshard.node.http.WebSocketCloseCodes.POLICY_VIOLATION;
import static io.lakeshard.node.http.WebSocketCloseCodes.PROTOCOL_ERROR;
import static io.lakeshard.node.http.WebSocketCloseCodes.TRY_AGAIN_LATER;
import static io.lakeshard.node.http.WebSocketCloseCodes.UNSUPPORTED_DATA;

import io.lakeshard.core.action.WireActions;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.node.http.SessionBuffers;
import io.lakeshard.node.http.WebSocketCloseCodes.CloseWith;
import io.lakeshard.node.http.WebSocketMessages;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncResponse;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * One client's WebSocket on this node: decodes frames, calls the sync service, and answers with
 * a reply or a close code (1002 bad tag or short frame, 1003 text frame, 1008 invalid message or
 * refused request, 1009 frame or push over the limit, 1013 try again later). Frames are handled
 * one at a time, so replies keep the order of requests; broadcasts from the gateway (wherever it
 * lives) are merged into the same outbound stream. The broadcast source's actor is the session
 * the gateway knows and watches.
 */
final class SyncSocket {
  private final SyncService.Gateway gateway;
  private final long maxFrameBytes;
  private final int broadcastBuffer;

  SyncSocket(SyncService.Gateway gateway, long maxFrameBytes, int broadcastBuffer) {
    this.gateway = gateway;
    this.maxFrameBytes = maxFrameBytes;
    this.broadcastBuffer = broadcastBuffer;
  }

  /**
   * The broadcast source runs in the connection's own stream (not pre-materialized into a stream
   * and actor of its own): its actor, the session, is known once the connection's stream is
   * materialized, before any frame arrives.
   */
  Flow<Message, Message, NotUsed> flow() {
    AtomicReference<ActorRef<SyncGateway.Broadcast>> session = new AtomicReference<>();
    Source<Message, ActorRef<SyncGateway.Broadcast>> outbound = SessionBuffers.growing(
            ActorSource.<SyncGateway.Broadcast>actorRef(
                message -> false,
                message -> Optional.empty(),
                broadcastBuffer,
                // A client that cannot keep up loses broadcasts, never data: it pulls from its cursor.
                OverflowStrategy.dropHead()))
        .map(broadcast -> (Message) BinaryMessage.create(ByteString.fromArrayUnsafe(broadcast.frame())));

    return Flow.<Message>create()
        .mapAsync(1, message -> handle(message, session.get()))
        .mergeMat(outbound, (none, broadcasts) -> {
          session.set(broadcasts);
          gateway.subscribe(broadcasts);
          return NotUsed.getInstance();
        }, true);
  }

  private CompletionStage<Message> handle(Message message, ActorRef<SyncGateway.Broadcast> session) {
    if (message.isText()) {
      return CompletableFuture.failedFuture(
          new CloseWith(UNSUPPORTED_DATA, "text frames are not part of the protocol"));
    }
    Optional<ByteString> read = WebSocketMessages.read(message, maxFrameBytes);
    if (read.isEmpty()) {
      return CompletableFuture.failedFuture(new CloseWith(MESSAGE_TOO_BIG, "frame over " + maxFrameBytes + " bytes"));
    }
    Frames.ClientFrame frame;
    try {
      frame = Frames.decode(read.get().toArray());
    } catch (Frames.UnknownTagException e) {
      return CompletableFuture.failedFuture(new CloseWith(PROTOCOL_ERROR, e.getMessage()));
    } catch (ProtocolException e) {
      return CompletableFuture.failedFuture(new CloseWith(POLICY_VIOLATION, e.getMessage()));
    }
    if (frame instanceof Frames.Push push) {
      return gateway.push(push.message(), session).thenCompose(SyncSocket::reply);
    }
    return frame instanceof Frames.Pull pull
        ? pull(pull.message())
        : gateway.act(((Frames.Actions) frame).message()).thenCompose(SyncSocket::reply);
  }

  private CompletionStage<Message> pull(SyncPull pull) {
    // uint32 on the wire: read unsigned, so 2^31 and more reach the limit rule as what the client sent.
    return gateway.pull(pull.getSinceHlc(), Integer.toUnsignedLong(pull.getMaxDeltas()))
        .thenCompose(SyncSocket::reply);
  }

  /** As LakeSync's gateway answers a WebSocket push: the server HLC, no deltas (the others get a broadcast). */
  private static CompletionStage<Message> reply(PushOutcome outcome) {
    return outcome instanceof PushOutcome.Accepted accepted
        ? CompletableFuture.completedFuture(
            response(SyncResponse.newBuilder().setServerHlc(accepted.ack().serverHlc())))
        : CompletableFuture.failedFuture(close(outcome));
  }

  private static CompletionStage<Message> reply(PullOutcome outcome) {
    return outcome instanceof PullOutcome.Page page
        ? CompletableFuture.completedFuture(response(SyncResponse.newBuilder()
            .addAllDeltas(WireDeltas.toWire(page.page().deltas()))
            .setServerHlc(page.page().serverHlc())
            .setHasMore(page.page().hasMore())))
        : CompletableFuture.failedFuture(close(outcome));
  }

  /** LakeSync's action frame answer: tag 0x05 and an ActionResponse. */
  private static CompletionStage<Message> reply(ActionOutcome outcome) {
    return outcome instanceof ActionOutcome.Answered answered
        ? CompletableFuture.completedFuture(BinaryMessage.create(ByteString.fromArrayUnsafe(
            Frames.encodeActionResponse(WireActions.toWire(answered.answers())))))
        : CompletableFuture.failedFuture(close(outcome));
  }

  /** A refused or unavailable outcome as the close that ends the session. */
  private static CloseWith close(Object outcome) {
    return outcome instanceof Refused refused ? close(refused) : close((Unavailable) outcome);
  }

  private static CloseWith close(Refused refused) {
    int code = switch (refused.reason()) {
      case TOO_MANY_DELTAS -> MESSAGE_TOO_BIG;
      // NO_CHECKPOINT never arises here: checkpoints are downloaded over HTTP.
      case INVALID_GATEWAY, WRONG_GATEWAY, CLIENT_MISMATCH, INVALID_DELTA, INVALID_LIMIT, CLOCK_DRIFT,
          SCHEMA_MISMATCH, NO_CHECKPOINT, INVALID_ACTION -> POLICY_VIOLATION;
    };
    return new CloseWith(code, refused.reason() + ": " + refused.message());
  }

  private static CloseWith close(Unavailable unavailable) {
    return new CloseWith(TRY_AGAIN_LATER,
        unavailable.cause() + ": retry in " + Math.max(1, unavailable.retryAfter().toSeconds()) + " s");
  }

  private static Message response(SyncResponse.Builder response) {
    return BinaryMessage.create(ByteString.fromArrayUnsafe(response.build().toByteArray()));
  }
}
