package io.lakeshard.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.JsonCodec;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The ceiling: the node's routes with nothing behind them, on the same Pekko HTTP, so the same
 * client measures what HTTP, WebSocket and this machine allow. No auth, no entity, no journal:
 * a push is answered at once with a small ack; a pull with a canned page of as many deltas as
 * asked for; a WebSocket push frame gets a small untagged SyncResponse and, as the protocol
 * requires, is relayed (0x03 + SyncResponse with its deltas) to the other sessions of its gateway.
 * {@code CeilingServer <port>}.
 */
public final class CeilingServer extends AllDirectives {
  private static final byte[] HTTP_ACK = "{\"serverHlc\":\"0\",\"accepted\":0,\"deltas\":[]}".getBytes(StandardCharsets.UTF_8);
  private static final int BROADCAST_BUFFER = 1024;

  private final ActorSystem<Void> system;
  private final Materializer materializer;
  private final Map<String, Set<BoundedSourceQueue<Message>>> sessions = new ConcurrentHashMap<>();
  private final Map<Integer, byte[]> jsonPages = new ConcurrentHashMap<>();
  private final Map<Integer, byte[]> protoPages = new ConcurrentHashMap<>();

  private CeilingServer(ActorSystem<Void> system) {
    this.system = system;
    this.materializer = Materializer.matFromSystem(system);
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "ceiling");
    CeilingServer server = new CeilingServer(system);
    Http.get(system).newServerAt("127.0.0.1", port).bind(server.routes()).toCompletableFuture().get();
    System.out.println("ceiling: no-op Pekko HTTP server on http://127.0.0.1:" + port);
  }

  private Route routes() {
    return concat(
        path("health", () -> get(() -> complete("ok"))),
        pathPrefix("v1", () -> pathPrefix("sync", () -> pathPrefix(PathMatchers.segment(), gatewayId -> concat(
            path("push", () -> post(() -> extractStrictEntity(Duration.ofSeconds(10), entity ->
                complete(HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, HTTP_ACK)))))),
            path("pull", () -> get(() -> parameterOptional("limit", limit -> complete(HttpResponse.create().withEntity(
                HttpEntities.create(ContentTypes.APPLICATION_JSON, jsonPage(limit.map(Integer::parseInt).orElse(100)))))))),
            path("ws", () -> handleWebSocketMessages(session(gatewayId))))))));
  }

  private Flow<Message, Message, NotUsed> session(String gatewayId) {
    Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> outbound =
        Source.<Message>queue(BROADCAST_BUFFER).preMaterialize(system);
    BoundedSourceQueue<Message> self = outbound.first();
    Set<BoundedSourceQueue<Message>> peers = sessions.computeIfAbsent(gatewayId, id -> ConcurrentHashMap.newKeySet());
    peers.add(self);
    return Flow.<Message>create()
        .mapAsync(1, message -> handle(message, self, peers))
        .merge(outbound.second(), true)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((d, e) -> {
            peers.remove(self);
            self.complete();
          });
          return NotUsed.getInstance();
        });
  }

  private CompletionStage<Message> handle(Message message, BoundedSourceQueue<Message> self,
                                          Set<BoundedSourceQueue<Message>> peers) {
    if (message.isText()) {
      message.asTextMessage().getStreamedText().runWith(Sink.ignore(), materializer);
      return CompletableFuture.completedFuture(binary(SyncResponse.getDefaultInstance().toByteArray()));
    }
    // Mapped on the completing thread: a Pekko stage's plain thenApply runs on the JDK's default
    // async pool, a new thread per task on fewer than three cores (the node maps its replies so too).
    return message.asBinaryMessage().toStrict(10_000, materializer).thenApplyAsync(strict -> {
      byte[] frame = strict.getStrictData().toArray();
      try {
        if (frame.length > 0 && frame[0] == Frames.TAG_PULL) {
          SyncPull pull = SyncPull.parseFrom(java.util.Arrays.copyOfRange(frame, 1, frame.length));
          return binary(protoPage(pull.getMaxDeltas() == 0 ? 100 : pull.getMaxDeltas()));
        }
        long serverHlc = System.currentTimeMillis() << 16;
        if (frame.length > 0 && frame[0] == Frames.TAG_PUSH && peers.size() > 1) {
          SyncPush push = SyncPush.parseFrom(java.util.Arrays.copyOfRange(frame, 1, frame.length));
          Message relay = binary(Frames.encodeBroadcast(SyncResponse.newBuilder()
              .addAllDeltas(push.getDeltasList()).setServerHlc(serverHlc).build()));
          for (BoundedSourceQueue<Message> peer : peers) {
            if (peer != self) {
              peer.offer(relay);
            }
          }
        }
        return binary(SyncResponse.newBuilder().setServerHlc(serverHlc).build().toByteArray());
      } catch (InvalidProtocolBufferException e) {
        return binary(SyncResponse.getDefaultInstance().toByteArray());
      }
    }, Runnable::run);
  }

  private static Message binary(byte[] bytes) {
    return BinaryMessage.create(ByteString.fromArrayUnsafe(bytes));
  }

  private byte[] jsonPage(int limit) {
    return jsonPages.computeIfAbsent(limit, n -> JsonCodec.encodeResponse(page(n)));
  }

  private byte[] protoPage(int limit) {
    return protoPages.computeIfAbsent(limit, n -> page(n).toByteArray());
  }

  /** A page of {@code n} deltas as a node would send them (same shape and size as the benchmark's). */
  private static SyncResponse page(int n) {
    SyncResponse.Builder page = SyncResponse.newBuilder();
    long hlc = System.currentTimeMillis() << 16;
    for (int i = 0; i < n; i++) {
      page.addDeltas(Workload.delta("bench-c0", hlc + i, "bench-c0:" + i, true, i));
    }
    return page.setServerHlc(hlc + n).setHasMore(false).build();
  }
}
