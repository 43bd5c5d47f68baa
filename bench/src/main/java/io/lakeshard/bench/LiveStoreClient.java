package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One LiveStore client on one WebSocket, speaking Effect RPC JSON as {@code @livestore/sync-cf}
 * 0.4.0's {@code makeWsSync} does: the sync parameters in the query (the payload URI-encoded
 * twice), {@code Ping} on open and every 10 s, one live {@code Pull} from the start that brings
 * every accepted batch (its own included) and so the head, an {@code Ack} after every chunk, and
 * pushes whose first parent is the head, carrying the backendId once a chunk has told it. Request
 * ids are decimal strings from one counter per client. A {@code ServerAheadError} waits for the
 * live pull to bring the head forward and pushes again (counted in {@link #retries}).
 */
final class LiveStoreClient implements WebSocket.Listener {
  /** An accepted push: the System.nanoTime() at which its Exit arrived. */
  record Accepted(long nanos) {}

  /** A finished non-live pull from the start: events, chunks, and when its last chunk arrived. */
  record CatchUp(long events, long chunks, long lastChunkNanos) {}

  static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);
  private static final long PING_EVERY_MS = 10_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final LiveStoreFrames frames;
  private final AtomicLong nextId = new AtomicLong();
  private final Map<String, CompletableFuture<JsonNode>> exits = new ConcurrentHashMap<>();
  private final Map<String, PullStream> pulls = new ConcurrentHashMap<>();
  private final List<HeadWaiter> headWaiters = new ArrayList<>();
  private final StringBuilder partial = new StringBuilder();
  private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);
  private volatile WebSocket ws;
  private volatile long head = -1;
  private volatile String backendId;
  private volatile String closedReason;
  private ScheduledFuture<?> pinger;
  private long pushes;
  final LongAdder retries = new LongAdder();

  private LiveStoreClient(LiveStoreFrames frames) {
    this.frames = frames;
  }

  /**
   * Connects to the base URL's {@code /livestore} with the sync query, sends the first Ping and,
   * when {@code live}, opens the live pull and completes once its first chunk has told the head.
   */
  static CompletableFuture<LiveStoreClient> open(HttpClient http, ScheduledExecutorService timer, String base,
                                                 String storeId, String clientId, String authToken, boolean live) {
    LiveStoreFrames frames = new LiveStoreFrames(storeId, clientId, authToken);
    LiveStoreClient client = new LiveStoreClient(frames);
    return http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(frames.uri(base, storeId), client)
        .exceptionally(LiveStoreClient::refusal)
        .thenCompose(ws -> {
          client.ws = ws;
          client.send(LiveStoreFrames.PING);
          client.pinger = timer.scheduleAtFixedRate(() -> client.send(LiveStoreFrames.PING), PING_EVERY_MS, PING_EVERY_MS,
              TimeUnit.MILLISECONDS);
          return live ? client.pull(true).firstChunk.thenApply(ignored -> client) : CompletableFuture.completedFuture(client);
        });
  }

  /** A refused upgrade says its status and body (LiveStore answers a refused payload with 400 and the reason). */
  private static WebSocket refusal(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof WebSocketHandshakeException refused) {
      Object body = refused.getResponse().body();
      throw new CompletionException(new IOException("upgrade refused: HTTP " + refused.getResponse().statusCode()
          + (body == null ? "" : " " + body)));
    }
    throw new CompletionException(cause);
  }

  /**
   * Pushes {@code events} new events after the head; on ServerAheadError waits for the live pull
   * to reach the server's head and tries again, until accepted.
   */
  CompletableFuture<Accepted> push(int events) {
    long parent = head;
    String id = Long.toString(nextId.getAndIncrement());
    CompletableFuture<JsonNode> exit = expectExit(id);
    send(frames.push(id, parent, events, pushes++, backendId));
    return exit.thenCompose(reply -> {
      long arrived = reply.get("arrivedNanos").asLong();
      JsonNode result = reply.get("exit");
      if ("Success".equals(result.path("_tag").asText())) {
        advanceHead(parent + events);
        return CompletableFuture.completedFuture(new Accepted(arrived));
      }
      JsonNode error = result.path("cause").path("error");
      if ("ServerAheadError".equals(error.path("_tag").asText())) {
        retries.increment();
        return awaitHead(error.path("minimumExpectedNum").asLong()).thenCompose(ignored -> push(events));
      }
      throw new CompletionException(new IOException("push refused: " + result));
    });
  }

  /** A non-live pull from the start, acknowledging each chunk, until its Exit. */
  CompletableFuture<CatchUp> catchUp() {
    PullStream stream = pull(false);
    return stream.exit.thenApply(reply -> {
      if (!"Success".equals(reply.path("exit").path("_tag").asText())) {
        throw new CompletionException(new IOException("pull failed: " + reply.path("exit")));
      }
      return new CatchUp(stream.events, stream.chunks, stream.lastChunkNanos);
    });
  }

  void close() {
    if (pinger != null) {
      pinger.cancel(false);
    }
    WebSocket socket = ws;
    if (socket != null) {
      socket.abort();
    }
    fail("closed by the client");
  }

  // ---------------------------------------------------------------- requests

  private PullStream pull(boolean live) {
    String id = Long.toString(nextId.getAndIncrement());
    PullStream stream = new PullStream(live, expectExit(id));
    pulls.put(id, stream);
    send(frames.pull(id, live));
    return stream;
  }

  private CompletableFuture<JsonNode> expectExit(String id) {
    CompletableFuture<JsonNode> exit = new CompletableFuture<>();
    exits.put(id, exit);
    String reason = closedReason;
    if (reason != null) {
      exit.completeExceptionally(new IOException("websocket " + reason));
    }
    return exit.orTimeout(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS).whenComplete((r, e) -> exits.remove(id));
  }

  /** The JDK allows one outstanding send per socket: sends are chained. */
  private synchronized void send(String frame) {
    WebSocket socket = ws;
    sendChain = sendChain.thenCompose(ignored -> socket.sendText(frame, true)).whenComplete((ignored, error) -> {
      if (error != null) {
        fail("send failed: " + error);
      }
    });
  }

  // ---------------------------------------------------------------- the head

  private record HeadWaiter(long atLeast, CompletableFuture<Void> reached) {}

  private CompletableFuture<Void> awaitHead(long atLeast) {
    CompletableFuture<Void> reached = new CompletableFuture<>();
    synchronized (headWaiters) {
      if (head >= atLeast) {
        return CompletableFuture.completedFuture(null);
      }
      headWaiters.add(new HeadWaiter(atLeast, reached));
    }
    return reached.orTimeout(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  private void advanceHead(long seqNum) {
    List<HeadWaiter> due = new ArrayList<>();
    synchronized (headWaiters) {
      if (seqNum > head) {
        head = seqNum;
      }
      headWaiters.removeIf(w -> w.atLeast() <= head && due.add(w));
    }
    due.forEach(w -> w.reached().complete(null));
  }

  // ---------------------------------------------------------------- frames in

  /** A pull stream's progress; chunks arrive on the listener thread only. */
  private static final class PullStream {
    final CompletableFuture<JsonNode> exit;
    final boolean live;
    final CompletableFuture<Void> firstChunk = new CompletableFuture<>();
    long events;
    long chunks;
    long lastChunkNanos;

    PullStream(boolean live, CompletableFuture<JsonNode> exit) {
      this.live = live;
      this.exit = exit;
      exit.whenComplete((r, e) -> {
        if (e != null) {
          firstChunk.completeExceptionally(e);
        }
      });
    }
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    if (partial.isEmpty() && last) {
      receive(data, System.nanoTime());
    } else {
      partial.append(data);
      if (last) {
        receive(partial, System.nanoTime());
        partial.setLength(0);
      }
    }
    webSocket.request(1);
    return null;
  }

  private void receive(CharSequence text, long nanos) {
    JsonNode message;
    try {
      message = JSON.readTree(text.toString());
    } catch (IOException e) {
      fail("unreadable frame from the server: " + e.getMessage());
      return;
    }
    switch (message.path("_tag").asText()) {
      case "Chunk" -> chunk(message, nanos);
      case "Exit" -> {
        CompletableFuture<JsonNode> exit = exits.get(message.path("requestId").asText());
        if (exit != null) {
          exit.complete(JSON.createObjectNode().put("arrivedNanos", nanos).set("exit", message.get("exit")));
        }
      }
      case "Pong" -> { }
      default -> fail("unexpected frame from the server: " + text.subSequence(0, Math.min(200, text.length())));
    }
  }

  private void chunk(JsonNode message, long nanos) {
    String requestId = message.path("requestId").asText();
    send(LiveStoreFrames.ack(requestId));
    PullStream stream = pulls.get(requestId);
    if (stream == null) {
      return;
    }
    long last = -1;
    for (JsonNode response : message.path("values")) {
      if (backendId == null && response.hasNonNull("backendId")) {
        backendId = response.get("backendId").asText();
      }
      for (JsonNode item : response.path("batch")) {
        long seq = item.path("eventEncoded").path("seqNum").asLong();
        if (!stream.live && seq != stream.events + 1) {
          stream.exit.completeExceptionally(new IOException("catch-up: event " + seq + " after " + stream.events));
          return;
        }
        last = Math.max(last, seq);
        stream.events++;
      }
    }
    stream.chunks++;
    stream.lastChunkNanos = nanos;
    advanceHead(Math.max(last, 0));
    stream.firstChunk.complete(null);
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    fail("closed by the server: " + statusCode + " " + reason);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    fail("error: " + error);
  }

  private void fail(String reason) {
    if (closedReason == null) {
      closedReason = reason;
    }
    if (pinger != null) {
      pinger.cancel(false);
    }
    IOException error = new IOException("websocket " + closedReason);
    exits.values().forEach(exit -> exit.completeExceptionally(error));
    List<HeadWaiter> waiting;
    synchronized (headWaiters) {
      waiting = new ArrayList<>(headWaiters);
      headWaiters.clear();
    }
    waiting.forEach(w -> w.reached().completeExceptionally(error));
  }
}
