package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.ColumnDelta;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Real WebSocket clients against a real node: replies, broadcasts, protocol violations. */
class WebSocketSyncTest extends NodeTestBase {

  private TestWebSocketClient connect(String clientId) {
    return TestWebSocketClient.connect(node.httpPort(), "gw1", clientId);
  }

  private static SyncPush push(String clientId, String rowId) {
    return SyncPush.newBuilder().setClientId(clientId).addDeltas(RowDelta.newBuilder()
        .setOp(DeltaOp.DELTA_OP_INSERT).setTable("todos").setRowId(rowId).setClientId(clientId)
        .setHlc(HybridClock.encode(System.currentTimeMillis(), 0))).build();
  }

  @Test
  void aPushIsAcknowledgedToItsSenderAndBroadcastToTheOtherSessionOnly() throws Exception {
    TestWebSocketClient alice = connect("alice");
    TestWebSocketClient bob = connect("bob");
    // Both sessions are subscribed once each has had a reply to a request.
    alice.send(Frames.encodePull(SyncPull.newBuilder().setClientId("alice").build()));
    bob.send(Frames.encodePull(SyncPull.newBuilder().setClientId("bob").build()));
    alice.next();
    bob.next();

    alice.send(Frames.encodePush(push("alice", "1")));
    SyncResponse ack = SyncResponse.parseFrom(alice.next());
    assertThat(ack.getServerHlc()).isPositive();

    byte[] broadcast = bob.next();
    assertThat(broadcast[0]).isEqualTo(Frames.TAG_BROADCAST);
    SyncResponse delivered = SyncResponse.parseFrom(Arrays.copyOfRange(broadcast, 1, broadcast.length));
    assertThat(delivered.getDeltasList()).extracting(RowDelta::getRowId).containsExactly("1");

    alice.send(Frames.encodePull(SyncPull.newBuilder().setClientId("alice").setMaxDeltas(10).build()));
    SyncResponse pulled = SyncResponse.parseFrom(alice.next());
    assertThat(pulled.getDeltasList()).extracting(RowDelta::getRowId).containsExactly("1");
    assertThat(alice.messages).as("no broadcast back to the pusher").isEmpty();
  }

  /** A client may split a message into frames and ping between them: the push is still one message. */
  @Test
  void aPushSentInFragmentsWithPingsBetweenIsAnsweredAsOneAndEveryPingIsAnswered() throws Exception {
    TestWebSocketClient client = connect("alice");
    byte[] frame = Frames.encodePush(push("alice", "fragmented"));
    client.sendInFragments(frame, 3);
    assertThat(SyncResponse.parseFrom(client.next()).getServerHlc()).isPositive();
    for (int i = 0; i < 2; i++) {
      assertThat(client.pongs.poll(10, TimeUnit.SECONDS)).as("pong %d within 10 s", i).isNotNull();
    }
    client.send(Frames.encodePull(SyncPull.newBuilder().setClientId("alice").setMaxDeltas(100).build()));
    assertThat(SyncResponse.parseFrom(client.next()).getDeltasList()).extracting(RowDelta::getRowId).contains("fragmented");
  }

  /**
   * LakeSync's client drops replies shorter than 2 bytes and waits for them forever: a reply with
   * serverHlc 0 and no deltas would encode as zero bytes. The gateway answers with its clock's time.
   */
  @Test
  void aGatewayNeverPushedToAnswersPullsAndEmptyPushesWithItsCurrentHlc() throws Exception {
    TestWebSocketClient client = TestWebSocketClient.connect(node.httpPort(), "never-pushed", "alice");
    long before = System.currentTimeMillis();
    client.send(Frames.encodePull(SyncPull.newBuilder().setClientId("alice").setMaxDeltas(100).build()));
    byte[] pulled = client.next();
    client.send(Frames.encodePush(SyncPush.newBuilder().setClientId("alice").build()));
    byte[] acked = client.next();
    long after = System.currentTimeMillis();

    for (byte[] reply : new byte[][] {pulled, acked}) {
      assertThat(reply.length).as("a frame LakeSync's client reads").isGreaterThanOrEqualTo(2);
      SyncResponse response = SyncResponse.parseFrom(reply);
      assertThat(response.getDeltasList()).isEmpty();
      assertThat(HybridClock.wallOf(response.getServerHlc())).isBetween(before, after);
    }
    // Not strictly later: a just-recovered gateway's clock runs ahead of its wall clock, and a
    // reply then reports the wall clock's millisecond (GatewayLedger.State#replyHlc).
    assertThat(SyncResponse.parseFrom(acked).getServerHlc()).as("the clock never goes back")
        .isGreaterThanOrEqualTo(SyncResponse.parseFrom(pulled).getServerHlc());
  }

  private TestWebSocketClient subscribed(String clientId) throws Exception {
    return connect(clientId).subscribed(clientId);
  }

  /** As LakeSync's gateway: a push is kept from every socket of its client, whichever transport it came by. */
  @Test
  void aPushReachesOtherClientsSocketsButNoneOfThePushersOwn() throws Exception {
    TestWebSocketClient alicesPhone = subscribed("alice");
    TestWebSocketClient alicesLaptop = subscribed("alice");
    TestWebSocketClient bob = subscribed("bob");
    NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));

    assertThat(http.post("/v1/sync/gw1/push", TestNode.token("alice", "gw1"), NodeHttp.push("alice", List.of(
        NodeHttp.delta("INSERT", "todos", "alice", "a1", NodeHttp.hlcNow(0), "[]")))).statusCode()).isEqualTo(200);
    assertThat(bob.nextBroadcastRows()).containsExactly("a1");
    alicesPhone.send(Frames.encodePush(push("alice", "a2")));
    assertThat(SyncResponse.parseFrom(alicesPhone.next()).getServerHlc()).isPositive();
    assertThat(bob.nextBroadcastRows()).containsExactly("a2");

    assertThat(http.post("/v1/sync/gw1/push", TestNode.token("bob", "gw1"), NodeHttp.push("bob", List.of(
        NodeHttp.delta("INSERT", "todos", "bob", "b1", NodeHttp.hlcNow(1), "[]")))).statusCode()).isEqualTo(200);
    // Broadcasts keep push order: had alice's sockets heard a1 or a2, that would come first.
    assertThat(alicesPhone.nextBroadcastRows()).containsExactly("b1");
    assertThat(alicesLaptop.nextBroadcastRows()).containsExactly("b1");
  }

  @Test
  void protocolViolationsCloseTheConnectionAndTheGatewayKeepsServing() throws Exception {
    TestWebSocketClient unknownTag = connect("alice");
    unknownTag.send(new byte[] {0x09, 0x01});
    assertThat(unknownTag.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1002);

    TestWebSocketClient empty = connect("alice");
    empty.send(new byte[0]);
    assertThat(empty.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1002);

    TestWebSocketClient truncated = connect("alice");
    byte[] frame = Frames.encodePush(push("alice", "1"));
    truncated.send(Arrays.copyOf(frame, frame.length - 4));
    assertThat(truncated.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);

    TestWebSocketClient text = connect("alice");
    text.socket.sendText("hello", true).join();
    assertThat(text.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1003);

    TestWebSocketClient impostor = connect("alice");
    impostor.send(Frames.encodePush(push("mallory", "1")));
    assertThat(impostor.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);

    TestWebSocketClient oversized = connect("alice");
    byte[] huge = new byte[1_100_000];
    huge[0] = Frames.TAG_PUSH;
    oversized.send(huge);
    assertThat(oversized.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);

    // A value that is not JSON would stop every later flush of the gateway: refused at the door.
    TestWebSocketClient notJson = connect("alice");
    SyncPush unflushable = push("alice", "3").toBuilder().setDeltas(0, push("alice", "3").getDeltas(0).toBuilder()
        .addColumns(ColumnDelta.newBuilder().setColumn("title").setValue(ByteString.copyFromUtf8("not json")))).build();
    notJson.send(Frames.encodePush(unflushable));
    assertThat(notJson.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1008);

    TestWebSocketClient honest = connect("alice");
    honest.send(Frames.encodePush(push("alice", "2")));
    assertThat(SyncResponse.parseFrom(honest.next()).getServerHlc()).isPositive();
  }
}
