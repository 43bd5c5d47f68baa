package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every bad-input rule of push and pull over WebSocket, with its documented close code; after
 * each, the same gateway (not a restarted one) keeps serving. One node for the class (see {@link SentinelNodeTestBase}).
 */
class WebSocketBadInputTest extends SentinelNodeTestBase {
  private static final String GATEWAY = "bad-ws";

  @Override
  String gateway() {
    return GATEWAY;
  }

  private TestWebSocketClient connect() {
    return TestWebSocketClient.connect(node.httpPort(), GATEWAY, "alice");
  }

  private int closeCode(TestWebSocketClient client) throws Exception {
    return client.closed.get(10, TimeUnit.SECONDS);
  }

  private static SyncPush push(String clientId, int deltas) {
    SyncPush.Builder push = SyncPush.newBuilder().setClientId(clientId);
    long hlc = HybridClock.encode(System.currentTimeMillis(), 0);
    for (int i = 0; i < deltas; i++) {
      push.addDeltas(RowDelta.newBuilder().setOp(DeltaOp.DELTA_OP_INSERT).setTable("todos").setRowId("r" + i)
          .setClientId(clientId).setHlc(hlc + i));
    }
    return push.build();
  }

  /**
   * max_deltas is a proto uint32: Java's -2147483648, -5 and -1 are sent as 2^31, 2^32 − 5 and
   * 2^32 − 1, which a signed read once turned into a negative limit that restarted the gateway.
   */
  @ParameterizedTest(name = "max_deltas={0}")
  @CsvSource({"0", "10001", "2147483647", "-2147483648", "-5", "-1"})
  void aPullLimitOfZeroIsTheDefaultAndOneOverTheMaxIsCapped(int maxDeltas) throws Exception {
    TestWebSocketClient client = connect();
    client.send(Frames.encodePull(SyncPull.newBuilder().setClientId("alice").setMaxDeltas(maxDeltas).build()));
    assertThat(SyncResponse.parseFrom(client.next()).getServerHlc()).isNotNegative();
    client.socket.sendClose(1000, "done").join();
  }

  @Test
  void aPushWhoseClientIdIsNotTheTokensSubCloses1008() throws Exception {
    TestWebSocketClient client = connect();
    client.send(Frames.encodePush(push("mallory", 1)));
    assertThat(closeCode(client)).isEqualTo(1008);
  }

  @Test
  void aPushOfMoreThan10000DeltasCloses1009() throws Exception {
    TestWebSocketClient client = connect();
    byte[] frame = Frames.encodePush(push("alice", 10_001));
    assertThat(frame.length).as("within the frame limit: the delta count is what is refused").isLessThan(1 << 20);
    client.send(frame);
    assertThat(closeCode(client)).isEqualTo(1009);
  }

  @Test
  void aFrameOver1MiBCloses1009() throws Exception {
    TestWebSocketClient client = connect();
    byte[] huge = new byte[1_100_000];
    huge[0] = Frames.TAG_PUSH;
    client.send(huge);
    assertThat(closeCode(client)).isEqualTo(1009);
  }

  @Test
  void aMessageOver1MiBSentInFragmentsCloses1009() throws Exception {
    TestWebSocketClient client = connect();
    byte[] huge = new byte[1_100_000];
    huge[0] = Frames.TAG_PUSH;
    client.sendInFragments(huge, 11);
    assertThat(closeCode(client)).isEqualTo(1009);
  }

  @ParameterizedTest(name = "tag {0}")
  @CsvSource({"1", "2"})
  void malformedProtobufCloses1008(byte tag) throws Exception {
    TestWebSocketClient client = connect();
    // A field header announcing a length-delimited field of 2^28 bytes, with three bytes behind it.
    client.send(new byte[] {tag, 0x0a, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01, 0x01, 0x02, 0x03});
    assertThat(closeCode(client)).isEqualTo(1008);
  }
}
