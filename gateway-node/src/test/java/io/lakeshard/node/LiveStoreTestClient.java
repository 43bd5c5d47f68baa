package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket to {@code /livestore} as {@code @livestore/sync-cf} 0.4.0's client opens it and
 * writes its frames (Effect RPC JSON text; requests with traceId, spanId, sampled and headers):
 * every whole text message is queued as JSON, the close code recorded.
 */
final class LiveStoreTestClient implements WebSocket.Listener {
  static final ObjectMapper JSON = new ObjectMapper();
  final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  WebSocket socket;

  /** The query the client appends: the payload JSON URI-encoded, then encoded again as a query value. */
  static String query(String storeId, String payloadJson, String transport) {
    String query = "?storeId=" + URLEncoder.encode(storeId, StandardCharsets.UTF_8);
    if (payloadJson != null) {
      query += "&payload=" + URLEncoder.encode(URLEncoder.encode(payloadJson, StandardCharsets.UTF_8),
          StandardCharsets.UTF_8);
    }
    return query + "&transport=" + transport;
  }

  static LiveStoreTestClient connect(int port, String storeId, String payloadJson) {
    LiveStoreTestClient client = new LiveStoreTestClient();
    client.socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/livestore" + query(storeId, payloadJson, "ws")), client)
        .join();
    return client;
  }

  static String request(String id, String tag, String payload) {
    return "{\"_tag\":\"Request\",\"id\":\"" + id + "\",\"tag\":\"" + tag + "\",\"payload\":" + payload
        + ",\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"0000000000000001\",\"sampled\":false,"
        + "\"headers\":[]}";
  }

  static String event(long seqNum, String name) {
    return "{\"name\":\"" + name + "\",\"args\":{\"id\":\"t" + seqNum + "\",\"text\":\"todo " + seqNum + "\"},\"seqNum\":"
        + seqNum + ",\"parentSeqNum\":" + (seqNum - 1) + ",\"clientId\":\"client-a\",\"sessionId\":\"session-1\"}";
  }

  /** A push payload of events {@code from..to} (parents chained). */
  static String pushPayload(String storeId, String payloadJson, long from, long to, String name) {
    StringBuilder batch = new StringBuilder();
    for (long seqNum = from; seqNum <= to; seqNum++) {
      batch.append(seqNum == from ? "" : ",").append(event(seqNum, name));
    }
    return "{\"storeId\":\"" + storeId + "\",\"payload\":" + payloadJson + ",\"batch\":[" + batch
        + "],\"backendId\":{\"_tag\":\"None\"}}";
  }

  static String pullPayload(String storeId, String payloadJson, boolean live) {
    return "{\"storeId\":\"" + storeId + "\",\"payload\":" + payloadJson + ",\"live\":" + live
        + ",\"cursor\":{\"_tag\":\"None\"}}";
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      try {
        messages.add(JSON.readTree(partial.toString()));
      } catch (Exception e) {
        messages.add(JSON.getNodeFactory().textNode("not JSON: " + partial));
      }
      partial.setLength(0);
    }
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

  void send(String frame) {
    socket.sendText(frame, true).join();
  }

  /** {@code message} as {@code fragments} text frames (a first one and continuations). */
  void sendInFragments(String message, int fragments) {
    int size = (message.length() + fragments - 1) / fragments;
    for (int from = 0; from < message.length(); from += size) {
      int to = Math.min(from + size, message.length());
      socket.sendText(message.substring(from, to), to == message.length()).join();
    }
  }

  JsonNode next() throws InterruptedException {
    JsonNode message = messages.poll(10, TimeUnit.SECONDS);
    assertThat(message).as("a message within 10 s").isNotNull();
    return message;
  }

  int closeCode() throws Exception {
    return closed.get(10, TimeUnit.SECONDS);
  }
}
