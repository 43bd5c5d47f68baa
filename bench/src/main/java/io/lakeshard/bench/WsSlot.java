package io.lakeshard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client's WebSocket to one gateway that reconnects when the server closed it (a refused push
 * closes the connection, as LakeSync's protocol says): the failed request counts as an error,
 * the next one opens a new connection, as a real client would.
 */
final class WsSlot {
  private final HttpClient client;
  private final URI uri;
  private final WsConnection.BroadcastSink broadcasts;
  private volatile WsConnection connection;
  private CompletableFuture<WsConnection> opening;
  private final List<WsConnection> opened = new CopyOnWriteArrayList<>();
  final AtomicInteger connects = new AtomicInteger();

  WsSlot(HttpClient client, URI uri, WsConnection.BroadcastSink broadcasts) {
    this.client = client;
    this.uri = uri;
    this.broadcasts = broadcasts;
  }

  CompletableFuture<WsConnection> connect() {
    WsConnection current = connection;
    if (current != null && current.isOpen()) {
      return CompletableFuture.completedFuture(current);
    }
    synchronized (this) {
      if (opening == null || (opening.isDone() && (opening.isCompletedExceptionally() || !opening.join().isOpen()))) {
        connects.incrementAndGet();
        opening = WsConnection.open(client, uri, broadcasts).thenApply(open -> {
          opened.add(open);
          connection = open;
          return open;
        });
      }
      return opening;
    }
  }

  CompletableFuture<WsConnection.Reply> request(byte[] frame) {
    WsConnection current = connection;
    if (current != null && current.isOpen()) {
      return current.request(frame);
    }
    return connect().thenCompose(opened -> opened.request(frame));
  }

  /** Broadcast frames received on every connection this slot opened (none if it never connected). */
  long broadcastFrames() {
    return opened.stream().mapToLong(c -> c.broadcastFrames.sum()).sum();
  }

  long broadcastBytes() {
    return opened.stream().mapToLong(c -> c.broadcastBytes.sum()).sum();
  }

  void abort() {
    WsConnection current = connection;
    if (current != null) {
      current.abort();
    }
  }
}
