package io.lakeshard.node.livestore;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.lakeshard.core.eventstore.StoredEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The server's Effect RPC JSON messages, as {@code @livestore/sync-cf} 0.4.0's server sends them
 * (LIVESTORE.md "Framing", "Pull"). Events are written from their {@link
 * io.lakeshard.core.eventstore.EventJson} text as raw values, never encoded again.
 */
final class RpcReplies {
  /** Exactly this: the client's ping answer, as LiveStore's DO auto-responds. */
  static final String PONG = "{\"_tag\":\"Pong\"}";
  private static final JsonStringEncoder STRINGS = JsonStringEncoder.getInstance();
  /** JavaScript's Date.toISOString: always milliseconds and Z. */
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private record Formatted(long millis, String iso) {}

  /**
   * The last createdAt formatted: one accepted batch goes as a chunk to every live pull of the
   * store, all with its one createdAt, and formatting it cost each chunk more than building it.
   */
  private static volatile Formatted lastFormatted = new Formatted(Long.MIN_VALUE, "");
  private static final String METADATA_HEAD =
      ",\"metadata\":{\"_tag\":\"Some\",\"value\":{\"_tag\":\"SyncMessage.SyncMetadata\",\"createdAt\":\"";
  /** What a chunk adds around each event: {@code {"eventEncoded":}, the metadata with its date, a comma. */
  private static final int PER_EVENT_CHARS = "{\"eventEncoded\":".length() + METADATA_HEAD.length()
      + "2026-12-01T18:05:19.309Z\"}}},".length();

  private RpcReplies() {}

  /** A push's success: {@code value} is LiveStore's empty PushAck. */
  static String pushAccepted(String requestId) {
    return exit(requestId).append("{\"_tag\":\"Success\",\"value\":{}}}").toString();
  }

  /** A finished (non-live) pull stream. */
  static String streamEnd(String requestId) {
    return exit(requestId).append("{\"_tag\":\"Success\"}}").toString();
  }

  /** {@code SyncHttpRpc.Ping}'s success. */
  static String httpPong(String requestId) {
    return exit(requestId).append("{\"_tag\":\"Success\",\"value\":{\"_tag\":\"SyncMessage.Pong\"}}}").toString();
  }

  /** An Exit Failure whose cause is {@code Fail(error)}: what the client decodes as its typed error. */
  static String failure(String requestId, LiveStoreError error) {
    StringBuilder json = exit(requestId).append("{\"_tag\":\"Failure\",\"cause\":{\"_tag\":\"Fail\",\"error\":");
    if (error instanceof LiveStoreError.ServerAhead ahead) {
      json.append("{\"_tag\":\"ServerAheadError\",\"minimumExpectedNum\":").append(ahead.minimumExpectedNum())
          .append(",\"providedNum\":").append(ahead.providedNum()).append('}');
    } else if (error instanceof LiveStoreError.BackendIdMismatch mismatch) {
      json.append("{\"_tag\":\"BackendIdMismatchError\",\"expected\":");
      quote(json, mismatch.expected()).append(",\"received\":");
      quote(json, mismatch.received()).append('}');
    } else {
      LiveStoreError.Unknown unknown = (LiveStoreError.Unknown) error;
      json.append("{\"_tag\":\"UnknownError\",\"cause\":");
      quote(json, unknown.code() + ": " + unknown.message()).append(",\"note\":");
      quote(json, unknown.code().name()).append('}');
    }
    return json.append("}}}").toString();
  }

  /**
   * One page as a Chunk holding one PullResponse: {@code remaining} events follow it (0: NoMore).
   * Pages come cut already (the store's pages, or a live batch cut by {@code EventPages.split}).
   */
  static String chunk(String requestId, String backendId, List<StoredEvent> events, long remaining) {
    int capacity = 160 + requestId.length() + backendId.length();
    for (StoredEvent event : events) {
      capacity += event.json().size() + PER_EVENT_CHARS;
    }
    StringBuilder json = new StringBuilder(capacity).append("{\"_tag\":\"Chunk\",\"requestId\":");
    quote(json, requestId).append(",\"values\":[{\"batch\":[");
    long createdAt = Long.MIN_VALUE;
    String iso = "";
    for (int i = 0; i < events.size(); i++) {
      StoredEvent event = events.get(i);
      if (event.createdAt() != createdAt) {
        createdAt = event.createdAt();
        iso = iso(createdAt);
      }
      json.append(i == 0 ? "{\"eventEncoded\":" : ",{\"eventEncoded\":").append(event.json().text())
          .append(METADATA_HEAD).append(iso).append("\"}}}");
    }
    json.append("],\"pageInfo\":")
        .append(remaining > 0 ? "{\"_tag\":\"MoreKnown\",\"remaining\":" + remaining + "}" : "{\"_tag\":\"NoMore\"}")
        .append(",\"backendId\":");
    return quote(json, backendId).append("}]}").toString();
  }

  private static String iso(long millis) {
    Formatted last = lastFormatted;
    if (last.millis() != millis) {
      last = new Formatted(millis, ISO_MILLIS.format(Instant.ofEpochMilli(millis)));
      lastFormatted = last;
    }
    return last.iso();
  }

  private static StringBuilder exit(String requestId) {
    StringBuilder json = new StringBuilder(96).append("{\"_tag\":\"Exit\",\"requestId\":");
    return quote(json, requestId).append(",\"exit\":");
  }

  private static StringBuilder quote(StringBuilder json, String value) {
    json.append('"');
    STRINGS.quoteAsString(value, json);
    return json.append('"');
  }

}
