package io.lakeshard.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client WebSocket (java.net.http) speaking the sync protocol: requests are tagged binary
 * frames, replies come back untagged in request order, so a FIFO of pending futures matches them;
 * frames starting with 0x03 are broadcasts (no untagged SyncResponse can start with that byte:
 * field 0 does not exist in protobuf). Requests may be pipelined; sends are chained, as the JDK
 * allows one outstanding send per socket.
 */
final class WsConnection implements WebSocket.Listener {
  /** A reply's bytes and the System.nanoTime() at which its last fragment arrived. */
  record Reply(byte[] bytes, long nanos) {}

  @FunctionalInterface
  interface BroadcastSink {
    void accept(byte[] frame, long nanos);
  }

  static final BroadcastSink DISCARD = (frame, nanos) -> {};

  private final BroadcastSink broadcasts;
  private final ArrayDeque<CompletableFuture<Reply>> pending = new ArrayDeque<>();
  private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);
  private volatile WebSocket ws;
  private byte[] partial;
  private int partialLength;
  private volatile boolean closed;
  private volatile String closeReason = "";
  final LongAdder broadcastFrames = new LongAdder();
  final LongAdder broadcastBytes = new LongAdder();

  private WsConnection(BroadcastSink broadcasts) {
    this.broadcasts = broadcasts;
  }

  static CompletableFuture<WsConnection> open(HttpClient client, URI uri, BroadcastSink broadcasts) {
    WsConnection connection = new WsConnection(broadcasts);
    return client.newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(30))
        .buildAsync(uri, connection)
        .thenApply(ws -> {
          connection.ws = ws;
          return connection;
        });
  }

  /** Sends one frame; the future completes with its reply (or fails when the connection does). */
  CompletableFuture<Reply> request(byte[] frame) {
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    synchronized (this) {
      if (closed) {
        reply.completeExceptionally(new IOException("websocket closed: " + closeReason));
        return reply;
      }
      pending.add(reply);
      WebSocket socket = ws;
      sendChain = sendChain.thenCompose(ignored -> socket.sendBinary(ByteBuffer.wrap(frame), true))
          .whenComplete((ignored, error) -> {
            if (error != null) {
              fail("send failed: " + error);
            }
          });
    }
    return reply;
  }

  boolean isOpen() {
    return !closed;
  }

  void abort() {
    WebSocket socket = ws;
    if (socket != null) {
      socket.abort();
    }
    fail("aborted by client");
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    this.ws = webSocket;
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    if (partial == null && last) {
      byte[] frame = new byte[data.remaining()];
      data.get(frame);
      deliver(frame);
    } else {
      if (partial == null) {
        partial = new byte[Math.max(data.remaining() * 2, 4096)];
        partialLength = 0;
      }
      if (partialLength + data.remaining() > partial.length) {
        partial = Arrays.copyOf(partial, Math.max(partial.length * 2, partialLength + data.remaining()));
      }
      int n = data.remaining();
      data.get(partial, partialLength, n);
      partialLength += n;
      if (last) {
        byte[] frame = Arrays.copyOf(partial, partialLength);
        partial = null;
        deliver(frame);
      }
    }
    webSocket.request(1);
    return null;
  }

  private void deliver(byte[] frame) {
    long now = System.nanoTime();
    if (frame.length > 0 && frame[0] == 0x03) {
      broadcastFrames.increment();
      broadcastBytes.add(frame.length);
      broadcasts.accept(frame, now);
      return;
    }
    CompletableFuture<Reply> reply;
    synchronized (this) {
      reply = pending.poll();
    }
    if (reply != null) {
      reply.complete(new Reply(frame, now));
    }
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    fail("closed by server: " + statusCode + " " + reason);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    fail("error: " + error);
  }

  private void fail(String reason) {
    ArrayDeque<CompletableFuture<Reply>> failed;
    synchronized (this) {
      if (!closed) {
        closeReason = reason;
      }
      closed = true;
      failed = new ArrayDeque<>(pending);
      pending.clear();
    }
    IOException error = new IOException("websocket " + closeReason);
    failed.forEach(reply -> reply.completeExceptionally(error));
  }
}
