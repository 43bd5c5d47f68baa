package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (java.net.http) that queues every whole binary message and records how the server closed. */
final class TestWebSocketClient implements WebSocket.Listener {
  final BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  final BlockingQueue<ByteBuffer> pongs = new LinkedBlockingQueue<>();
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  WebSocket socket;

  /** Connects to {@code /v1/sync/{gateway}/ws} on the node at {@code httpPort} with a token for {@code clientId}. */
  static TestWebSocketClient connect(int httpPort, String gatewayId, String clientId) {
    return connectWith(httpPort, gatewayId, TestNode.token(clientId, gatewayId));
  }

  /** Connects to {@code /v1/sync/{gateway}/ws} on the node at {@code httpPort} with {@code token}. */
  static TestWebSocketClient connectWith(int httpPort, String gatewayId, String token) {
    TestWebSocketClient client = new TestWebSocketClient();
    client.socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://127.0.0.1:" + httpPort + "/v1/sync/" + gatewayId + "/ws?token=" + token), client)
        .join();
    return client;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    partial.writeBytes(chunk);
    if (last) {
      messages.add(partial.toByteArray());
      partial.reset();
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    pongs.add(ByteBuffer.allocate(message.remaining()).put(message).flip());
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.complete(-1);
  }

  byte[] next() throws InterruptedException {
    byte[] message = messages.poll(10, TimeUnit.SECONDS);
    assertThat(message).as("a message within 10 s").isNotNull();
    return message;
  }

  void send(byte[] frame) {
    socket.sendBinary(ByteBuffer.wrap(frame), true).join();
  }

  /** {@code message} as {@code fragments} frames (a first binary frame and continuations), a ping after each but the last. */
  void sendInFragments(byte[] message, int fragments) {
    int size = (message.length + fragments - 1) / fragments;
    for (int from = 0; from < message.length; from += size) {
      boolean last = from + size >= message.length;
      socket.sendBinary(ByteBuffer.wrap(message, from, Math.min(size, message.length - from)), last).join();
      if (!last) {
        socket.sendPing(ByteBuffer.wrap(new byte[] {(byte) from})).join();
      }
    }
  }

  /** Subscribed once it has had the reply to a first pull: the gateway then knows the session. */
  TestWebSocketClient subscribed(String clientId) throws InterruptedException {
    send(Frames.encodePull(SyncPull.newBuilder().setClientId(clientId).build()));
    next();
    return this;
  }

  /** The row ids of the next message, which must be a broadcast. */
  List<String> nextBroadcastRows() throws InterruptedException, InvalidProtocolBufferException {
    byte[] message = next();
    assertThat(message[0]).isEqualTo(Frames.TAG_BROADCAST);
    return SyncResponse.parseFrom(Arrays.copyOfRange(message, 1, message.length)).getDeltasList().stream()
        .map(RowDelta::getRowId).toList();
  }
}
