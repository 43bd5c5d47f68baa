package io.lakeshard.node.sync;

import static io.lakeshard.node.http.WebSocketCloseCodes.MESSAGE_TOO_BIG;
import static io.lakeshard.node.http.WebSocketCloseCodes.POLICY_VIOLATION;
import static io.lakeshard.node.http.WebSocketCloseCodes.PROTOCOL_ERROR;
import static io.lakeshard.node.http.WebSocketCloseCodes.TRY_AGAIN_LATER;
import static io.lakeshard.node.http.WebSocketCloseCodes.UNSUPPORTED_DATA;

import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.node.http.WebSocketCloseCodes.CloseWith;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * One client's WebSocket on this node. Frames are handled one at a time, so replies keep the
 * order of requests; broadcasts from the gateway (wherever it lives) are merged into the same
 * outbound stream. The broadcast source's actor is the session the gateway knows and watches.
 */
final class SyncSocket {
  private final ActorSystem<?> system;
  private final EntityRef<SyncGateway.Command> gateway;
  private final Optional<JwtAuth.Principal> principal;
  private final NodeSettings settings;

  SyncSocket(ActorSystem<?> system, EntityRef<SyncGateway.Command> gateway,
                   Optional<JwtAuth.Principal> principal, NodeSettings settings) {
    this.system = system;
    this.gateway = gateway;
    this.principal = principal;
    this.settings = settings;
  }

  Flow<Message, Message, NotUsed> flow() {
    Pair<ActorRef<SyncGateway.Broadcast>, Source<SyncGateway.Broadcast, NotUsed>> broadcasts =
        ActorSource.<SyncGateway.Broadcast>actorRef(
                message -> false,
                message -> Optional.empty(),
                settings.wsBroadcastBuffer(),
                // A client that cannot keep up loses broadcasts, never data: it pulls from its cursor.
                OverflowStrategy.dropHead())
            .preMaterialize(system);
    ActorRef<SyncGateway.Broadcast> session = broadcasts.first();
    gateway.tell(new SyncGateway.Subscribe(session));

    Source<Message, NotUsed> outbound = broadcasts.second()
        .map(broadcast -> BinaryMessage.create(ByteString.fromArrayUnsafe(broadcast.frame())));

    return Flow.<Message>create()
        .mapAsync(1, message -> handle(message, session))
        .merge(outbound, true);
  }

  private CompletionStage<Message> handle(Message message, ActorRef<SyncGateway.Broadcast> session) {
    if (message.isText()) {
      message.asTextMessage().getStreamedText().runWith(Sink.ignore(), system);
      return CompletableFuture.failedFuture(new CloseWith(UNSUPPORTED_DATA, "text frames are not part of the protocol"));
    }
    long maxBytes = settings.wsMaxFrameBytes();
    // Drains an oversized frame rather than cancelling it, which would fail the whole connection.
    return message.asBinaryMessage().getStreamedData()
        .runFold(ByteString.emptyByteString(), (frame, chunk) -> frame.size() > maxBytes ? frame : frame.concat(chunk), system)
        .thenCompose(bytes -> {
          if (bytes.size() > maxBytes) {
            return CompletableFuture.failedFuture(new CloseWith(MESSAGE_TOO_BIG, "frame over " + maxBytes + " bytes"));
          }
          Frames.ClientFrame frame;
          try {
            frame = Frames.decode(bytes.toArray());
          } catch (Frames.UnknownTagException e) {
            return CompletableFuture.failedFuture(new CloseWith(PROTOCOL_ERROR, e.getMessage()));
          } catch (ProtocolException e) {
            return CompletableFuture.failedFuture(new CloseWith(POLICY_VIOLATION, e.getMessage()));
          }
          return frame instanceof Frames.Push push
              ? push(push.message(), session)
              : pull(((Frames.Pull) frame).message());
        });
  }

  private CompletionStage<Message> push(SyncPush push, ActorRef<SyncGateway.Broadcast> session) {
    if (principal.isPresent() && !principal.get().clientId().equals(push.getClientId())) {
      return CompletableFuture.failedFuture(new CloseWith(POLICY_VIOLATION, "push clientId differs from the token's sub"));
    }
    if (push.getDeltasCount() > settings.maxDeltasPerPush()) {
      return CompletableFuture.failedFuture(new CloseWith(MESSAGE_TOO_BIG, "too many deltas in one push"));
    }
    try {
      var deltas = WireDeltas.fromWire(push.getDeltasList());
      return gateway.<SyncGateway.PushReply>ask(
              replyTo -> new SyncGateway.Push(push.getClientId(), deltas, session, replyTo), askTimeout())
          // As LakeSync's gateway answers a WebSocket push: the server HLC, no deltas (the pusher has
          // them; the other sessions get them as a broadcast).
          .thenCompose(reply -> reply instanceof SyncGateway.PushAccepted accepted
              ? CompletableFuture.completedFuture(response(SyncResponse.newBuilder().setServerHlc(accepted.serverHlc())))
              : CompletableFuture.failedFuture(refusal(reply)));
    } catch (ProtocolException e) {
      return CompletableFuture.failedFuture(new CloseWith(POLICY_VIOLATION, e.getMessage()));
    }
  }

  private static CloseWith refusal(SyncGateway.PushReply reply) {
    if (reply instanceof SyncGateway.PushThrottled throttled) {
      return new CloseWith(TRY_AGAIN_LATER, "BACKPRESSURE: retry in " + throttled.retryAfter().toSeconds() + " s");
    }
    SyncGateway.PushRefused refused = (SyncGateway.PushRefused) reply;
    return new CloseWith(POLICY_VIOLATION, refused.reason() + ": " + refused.message());
  }

  private CompletionStage<Message> pull(SyncPull pull) {
    int requested = pull.getMaxDeltas() == 0 ? settings.gateway().defaultPullLimit() : pull.getMaxDeltas();
    int limit = Math.min(requested, settings.gateway().maxPullLimit());
    return gateway.<SyncGateway.PullResult>ask(replyTo -> new SyncGateway.Pull(pull.getSinceHlc(), limit, replyTo), askTimeout())
        .thenCompose(result -> result instanceof SyncGateway.PullReply page
            ? CompletableFuture.completedFuture(response(SyncResponse.newBuilder()
                .addAllDeltas(WireDeltas.toWire(page.deltas()))
                .setServerHlc(page.serverHlc())
                .setHasMore(page.hasMore())))
            : CompletableFuture.failedFuture(new CloseWith(TRY_AGAIN_LATER, "LAKE_UNAVAILABLE: flushed deltas unreadable")));
  }

  private static Message response(SyncResponse.Builder response) {
    return BinaryMessage.create(ByteString.fromArrayUnsafe(response.build().toByteArray()));
  }

  private Duration askTimeout() {
    return settings.askTimeout();
  }
}
