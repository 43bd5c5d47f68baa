package io.lakeshard.node.livestore;

import static io.lakeshard.node.http.WebSocketCloseCodes.MESSAGE_TOO_BIG;
import static io.lakeshard.node.http.WebSocketCloseCodes.PROTOCOL_ERROR;

import io.lakeshard.node.claims.OpenSessions;
import io.lakeshard.node.http.SessionBuffers;
import io.lakeshard.node.http.WebSocketCloseCodes.CloseWith;
import io.lakeshard.node.http.WebSocketMessages;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * A LiveStore WebSocket connection: each message (text, or binary as LiveStore also takes) is read
 * up to {@code max-message-bytes} and decoded ({@link RpcFrames}), then handled by the
 * connection's {@link LiveStoreSession}, whose answers are the outbound text frames. Close codes:
 * 1002 a message that is not Effect RPC (not JSON, no known {@code _tag}, a request without id),
 * 1009 a message over the limit, 1013 the store cannot answer (the client reconnects and pulls
 * from its cursor), 1011 a client too slow to take its messages ({@code session-buffer}), 4001
 * its workspace token revoked or past its grace ({@link OpenSessions}).
 */
final class LiveStoreSocket {
  private final ActorSystem<?> system;
  private final LiveStoreService service;
  private final OpenSessions openSessions;
  /** Names each session actor uniquely. */
  private final AtomicLong sessions = new AtomicLong();

  LiveStoreSocket(ActorSystem<?> system, LiveStoreService service, OpenSessions openSessions) {
    this.system = system;
    this.service = service;
    this.openSessions = openSessions;
  }

  Flow<Message, Message, NotUsed> flow(LiveStoreService.Store store) {
    Pair<ActorRef<Object>, Source<Object, NotUsed>> outbound = SessionBuffers.growing(ActorSource.<Object>actorRef(
            message -> false,
            message -> message instanceof CloseWith close ? Optional.of(close) : Optional.empty(),
            service.settings().sessionBuffer(),
            OverflowStrategy.fail()))
        .preMaterialize(system);
    ActorRef<Object> session = system.systemActorOf(LiveStoreSession.create(service, store, outbound.first()),
        "livestore-" + store.storeId() + "-" + sessions.incrementAndGet(), Props.empty());
    Sink<Message, NotUsed> inbound = Flow.<Message>create()
        .map(this::read)
        .map(frame -> (Object) new LiveStoreSession.Inbound(frame))
        .to(ActorSink.actorRef(session, LiveStoreSession.Ended.INSTANCE, failed -> LiveStoreSession.Ended.INSTANCE));
    Flow<Message, Message, NotUsed> flow = service.webSockets().counting(Flow.fromSinkAndSourceCoupled(inbound,
        outbound.second().map(text -> (Message) TextMessage.create((String) text))));
    return openSessions.revocable(store.holder(), flow);
  }

  /** The message's frame, or the close it earns. A text message is parsed as the String Pekko decoded. */
  private Object read(Message message) {
    long limit = service.maxMessageBytes();
    try {
      if (message.isText()) {
        Optional<String> text = WebSocketMessages.readText(message.asTextMessage(), limit);
        return text.isEmpty() ? tooBig(limit) : RpcFrames.decode(text.get(), RpcFrames.Transport.WS);
      }
      Optional<ByteString> bytes = WebSocketMessages.read(message, limit);
      return bytes.isEmpty() ? tooBig(limit) : RpcFrames.decode(bytes.get().toArray(), RpcFrames.Transport.WS);
    } catch (RpcFrames.Malformed e) {
      return new CloseWith(PROTOCOL_ERROR, e.getMessage());
    }
  }

  private static CloseWith tooBig(long limit) {
    return new CloseWith(MESSAGE_TOO_BIG, "message over " + limit + " bytes");
  }
}
