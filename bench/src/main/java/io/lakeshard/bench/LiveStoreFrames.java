package io.lakeshard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * What a {@link LiveStoreClient} sends, written as {@code @livestore/sync-cf} 0.4.0's client writes
 * it: the sync URL and the Effect RPC JSON requests of one client (store, clientId, payload).
 */
final class LiveStoreFrames {
  static final String PING = "{\"_tag\":\"Ping\"}";
  /** The span fields Effect RPC adds to every request (the server must tolerate them). */
  private static final String TRACE = "\"traceId\":\"6c4f1b2e9a7d4c3b8e5f0a1b2c3d4e5f\",\"spanId\":\"1a2b3c4d5e6f7a8b\","
      + "\"sampled\":false,\"headers\":[]";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String storeJson;
  private final String clientId;
  private final String clientJson;
  private final String payloadJson;

  LiveStoreFrames(String storeId, String clientId, String authToken) {
    this.storeJson = quote(storeId);
    this.clientId = clientId;
    this.clientJson = quote(clientId);
    this.payloadJson = "{\"authToken\":" + quote(authToken) + "}";
  }

  /**
   * {@code base + "/livestore"} (LiveStore's worker ignores the path) with the sync query: the
   * client's SearchParamsSchema encodes the payload with encodeURIComponent, then the URL's query
   * encoding encodes it again.
   */
  URI uri(String base, String storeId) {
    return URI.create(base.replaceFirst("^http", "ws") + "/livestore?storeId=" + query(storeId)
        + "&payload=" + query(uriComponent(payloadJson)) + "&transport=ws");
  }

  /**
   * A push of {@code events} new events after {@code parent}; {@code push} numbers this client's
   * pushes so every event's args are unique.
   */
  String push(String id, long parent, int events, long push, String backendId) {
    StringBuilder s = new StringBuilder(200 + events * 170);
    s.append("{\"_tag\":\"Request\",\"id\":\"").append(id).append("\",\"tag\":\"SyncWsRpc.Push\",\"payload\":{\"storeId\":")
        .append(storeJson).append(",\"payload\":").append(payloadJson).append(",\"batch\":[");
    for (int i = 0; i < events; i++) {
      long seq = parent + 1 + i;
      if (i > 0) {
        s.append(',');
      }
      s.append("{\"name\":\"v1.TodoCreated\",\"args\":{\"id\":\"").append(clientId).append('-').append(push).append('-').append(i)
          .append("\",\"text\":\"benchmark todo\"},\"seqNum\":").append(seq).append(",\"parentSeqNum\":").append(seq - 1)
          .append(",\"clientId\":").append(clientJson).append(",\"sessionId\":\"bench-session\"}");
    }
    s.append("],\"backendId\":").append(option(backendId));
    return s.append("},").append(TRACE).append('}').toString();
  }

  /** A pull from the start (cursor None), live or not. */
  String pull(String id, boolean live) {
    return "{\"_tag\":\"Request\",\"id\":\"" + id + "\",\"tag\":\"SyncWsRpc.Pull\",\"payload\":{\"storeId\":" + storeJson
        + ",\"payload\":" + payloadJson + ",\"live\":" + live + ",\"cursor\":{\"_tag\":\"None\"}}," + TRACE + "}";
  }

  static String ack(String requestId) {
    return "{\"_tag\":\"Ack\",\"requestId\":\"" + requestId + "\"}";
  }

  private static String option(String value) {
    return value == null ? "{\"_tag\":\"None\"}" : "{\"_tag\":\"Some\",\"value\":" + quote(value) + "}";
  }

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

  /** JavaScript's encodeURIComponent (URLEncoder differs from it only in these). */
  private static String uriComponent(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%21", "!").replace("%27", "'")
        .replace("%28", "(").replace("%29", ")").replace("%7E", "~");
  }
}
