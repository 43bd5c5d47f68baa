package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
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

  private final String storeId;
  private final String clientId;
  private final String payloadJson;
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

  private LiveStoreClient(String storeId, String clientId, String payloadJson) {
    this.storeId = storeId;
    this.clientId = clientId;
    this.payloadJson = payloadJson;
  }

  /**
   * Connects to {@code base + "/livestore"} (LiveStore's worker ignores the path), sends the first
   * Ping and, when {@code live}, opens the live pull and completes once its first chunk has told
   * the head.
   */
  static CompletableFuture<LiveStoreClient> open(HttpClient http, ScheduledExecutorService timer, String base,
                                                 String storeId, String clientId, String authToken, boolean live) {
    String payloadJson = "{\"authToken\":" + quote(authToken) + "}";
    // the client's SearchParamsSchema encodes the payload with encodeURIComponent, then the URL's
    // query encoding encodes it again
    URI uri = URI.create(base.replaceFirst("^http", "ws") + "/livestore?storeId=" + query(storeId)
        + "&payload=" + query(uriComponent(payloadJson)) + "&transport=ws");
    LiveStoreClient client = new LiveStoreClient(storeId, clientId, payloadJson);
    return http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).buildAsync(uri, client).thenCompose(ws -> {
      client.ws = ws;
      client.send("{\"_tag\":\"Ping\"}");
      client.pinger = timer.scheduleAtFixedRate(() -> client.send("{\"_tag\":\"Ping\"}"), PING_EVERY_MS, PING_EVERY_MS,
          TimeUnit.MILLISECONDS);
      if (!live) {
        return CompletableFuture.completedFuture(client);
      }
      PullStream stream = client.pull(true);
      return stream.firstChunk.thenApply(ignored -> client);
    });
  }

  long head() {
    return head;
  }

  /**
   * Pushes {@code events} new events after the head; on ServerAheadError waits for the live pull
   * to reach the server's head and tries again, until accepted.
   */
  CompletableFuture<Accepted> push(int events) {
    long parent = head;
    String id = Long.toString(nextId.getAndIncrement());
    CompletableFuture<JsonNode> exit = expectExit(id);
    send(pushRequest(id, parent, events));
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

  private String pushRequest(String id, long parent, int events) {
    StringBuilder s = new StringBuilder(160 + events * 170);
    s.append("{\"_tag\":\"Request\",\"id\":\"").append(id).append("\",\"tag\":\"SyncWsRpc.Push\",\"payload\":{\"storeId\":")
        .append(quote(storeId)).append(",\"payload\":").append(payloadJson).append(",\"batch\":[");
    long p = pushes++;
    for (int i = 0; i < events; i++) {
      long seq = parent + 1 + i;
      if (i > 0) {
        s.append(',');
      }
      s.append("{\"name\":\"v1.TodoCreated\",\"args\":{\"id\":\"").append(clientId).append('-').append(p).append('-').append(i)
          .append("\",\"text\":\"benchmark todo\"},\"seqNum\":").append(seq).append(",\"parentSeqNum\":").append(seq - 1)
          .append(",\"clientId\":").append(quote(clientId)).append(",\"sessionId\":\"bench-session\"}");
    }
    s.append("],\"backendId\":").append(backendId == null ? "{\"_tag\":\"None\"}" : "{\"_tag\":\"Some\",\"value\":" + quote(backendId) + "}");
    return s.append("},").append(TRACE).append('}').toString();
  }

  private PullStream pull(boolean live) {
    String id = Long.toString(nextId.getAndIncrement());
    PullStream stream = new PullStream(live, expectExit(id));
    pulls.put(id, stream);
    send("{\"_tag\":\"Request\",\"id\":\"" + id + "\",\"tag\":\"SyncWsRpc.Pull\",\"payload\":{\"storeId\":" + quote(storeId)
        + ",\"payload\":" + payloadJson + ",\"live\":" + live + ",\"cursor\":{\"_tag\":\"None\"}}," + TRACE + "}");
    return stream;
  }

  /** The span fields Effect RPC adds to every request (the server must tolerate them). */
  private static final String TRACE = "\"traceId\":\"6c4f1b2e9a7d4c3b8e5f0a1b2c3d4e5f\",\"spanId\":\"1a2b3c4d5e6f7a8b\","
      + "\"sampled\":false,\"headers\":[]";

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
    send("{\"_tag\":\"Ack\",\"requestId\":\"" + requestId + "\"}");
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

  // ---------------------------------------------------------------- encoding

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static String query(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** JavaScript's encodeURIComponent for what the payload holds (URLEncoder differs only in these). */
  private static String uriComponent(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%21", "!").replace("%27", "'")
        .replace("%28", "(").replace("%29", ")").replace("%7E", "~");
  }
}
