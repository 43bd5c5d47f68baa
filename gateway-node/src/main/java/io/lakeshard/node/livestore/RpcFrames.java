package io.lakeshard.node.livestore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.eventstore.LiveEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decodes a client's Effect RPC JSON message (one per WebSocket frame, or an HTTP body) into an
 * {@link RpcFrame}, the shapes of {@code @livestore/sync-cf} 0.4.0's {@code SyncWsRpc} and
 * {@code SyncHttpRpc} schemas. Extra fields (traceId, spanId, sampled, headers, interruptors) are
 * ignored, as Effect's decoder ignores them. A message that is not JSON, not an object, or has no
 * known {@code _tag} (or a request without a string id) is {@link Malformed}: nothing can be
 * answered to it.
 */
final class RpcFrames {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Which request tags a transport serves. */
  enum Transport {
    WS("SyncWsRpc."), HTTP("SyncHttpRpc.");

    final String prefix;

    Transport(String prefix) {
      this.prefix = prefix;
    }
  }

  /** Not an Effect RPC message at all. */
  static final class Malformed extends Exception {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  /** A payload field that is not of LiveStore's shape. */
  private static final class Invalid extends Exception {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  private RpcFrames() {}

  static RpcFrame decode(byte[] message, Transport transport) throws Malformed {
    try {
      return decode(MAPPER.readTree(message), transport);
    } catch (IOException e) {
      throw new Malformed("not JSON: " + firstLine(e));
    }
  }

  /** A WebSocket text message, parsed as the String it arrives as rather than encoded back to UTF-8. */
  static RpcFrame decode(String message, Transport transport) throws Malformed {
    try {
      return decode(MAPPER.readTree(message), transport);
    } catch (JsonProcessingException e) {
      throw new Malformed("not JSON: " + firstLine(e));
    }
  }

  private static RpcFrame decode(JsonNode frame, Transport transport) throws Malformed {
    if (frame == null || !frame.isObject() || !frame.path("_tag").isTextual()) {
      throw new Malformed("not an Effect RPC message (an object with a _tag)");
    }
    String tag = frame.get("_tag").asText();
    return switch (tag) {
      case "Ping" -> new RpcFrame.Ping();
      case "Eof" -> new RpcFrame.Eof();
      case "Ack" -> new RpcFrame.Ack(requestId(frame, "requestId"));
      case "Interrupt" -> new RpcFrame.Interrupt(requestId(frame, "requestId"));
      case "Request" -> request(requestId(frame, "id"), frame, transport);
      default -> throw new Malformed("unknown message _tag " + quoted(tag));
    };
  }

  private static RpcFrame.Request request(String id, JsonNode frame, Transport transport) {
    JsonNode tag = frame.path("tag");
    JsonNode payload = frame.path("payload");
    String name = tag.isTextual() && tag.asText().startsWith(transport.prefix)
        ? tag.asText().substring(transport.prefix.length()) : "";
    if (!name.equals("Pull") && !name.equals("Push") && !(name.equals("Ping") && transport == Transport.HTTP)) {
      return new RpcFrame.BadRequest(id, "unknown request tag " + quoted(tag.asText()));
    }
    try {
      if (!payload.isObject()) {
        throw new Invalid("payload must be an object");
      }
      String storeId = string(payload, "storeId");
      Optional<JsonNode> syncPayload = Optional.ofNullable(payload.get("payload")).filter(node -> !node.isNull());
      return switch (name) {
        case "Pull" -> new RpcFrame.Pull(id, storeId, syncPayload,
            transport == Transport.WS && bool(payload, "live"), cursor(payload.path("cursor")));
        case "Push" -> new RpcFrame.Push(id, storeId, syncPayload, batch(payload.path("batch")),
            backendId(option(payload.path("backendId"), "backendId")));
        default -> new RpcFrame.HttpPing(id, storeId, syncPayload);
      };
    } catch (Invalid e) {
      return new RpcFrame.BadRequest(id, e.getMessage());
    }
  }

  private static Optional<RpcFrame.Cursor> cursor(JsonNode cursor) throws Invalid {
    Optional<JsonNode> value = option(cursor, "cursor");
    if (value.isEmpty()) {
      return Optional.empty();
    }
    JsonNode fields = value.get();
    if (!fields.isObject()) {
      throw new Invalid("cursor.value must be an object");
    }
    return Optional.of(new RpcFrame.Cursor(string(fields, "backendId"), seqNum(fields, "eventSequenceNumber")));
  }

  private static Optional<String> backendId(Optional<JsonNode> backendId) throws Invalid {
    return backendId.isEmpty() ? Optional.empty() : Optional.of(text(backendId.get(), "backendId"));
  }

  private static List<LiveEvent> batch(JsonNode batch) throws Invalid {
    if (!batch.isArray()) {
      throw new Invalid("batch must be an array");
    }
    List<LiveEvent> events = new ArrayList<>(batch.size());
    for (JsonNode event : batch) {
      if (!event.isObject()) {
        throw new Invalid("batch[" + events.size() + "] must be an object");
      }
      events.add(new LiveEvent(seqNum(event, "seqNum"), seqNum(event, "parentSeqNum"), string(event, "name"),
          args(event.get("args")), string(event, "clientId"), string(event, "sessionId")));
    }
    return events;
  }

  /** The raw JSON text of an event's args (absent: null; JSON null: "null"), written once here at ingest. */
  private static String args(JsonNode args) throws Invalid {
    if (args == null) {
      return null;
    }
    try {
      return MAPPER.writeValueAsString(args);
    } catch (JsonProcessingException e) {
      throw new Invalid("args: " + firstLine(e));
    }
  }

  /** An Effect {@code Option}: {@code {"_tag":"None"}} or {@code {"_tag":"Some","value":…}}. */
  private static Optional<JsonNode> option(JsonNode option, String field) throws Invalid {
    String tag = option.path("_tag").asText("");
    if (tag.equals("None")) {
      return Optional.empty();
    }
    if (tag.equals("Some") && option.has("value")) {
      return Optional.of(option.get("value"));
    }
    throw new Invalid(field + " must be an Option ({\"_tag\":\"None\"} or {\"_tag\":\"Some\",\"value\":…})");
  }

  /** A global sequence number: a JSON integer, 0 or more (LiveStore's Schema.Int, never negative here). */
  private static long seqNum(JsonNode object, String field) throws Invalid {
    JsonNode value = object.path(field);
    if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
      throw new Invalid(field + " must be a non-negative integer, not " + value);
    }
    return value.asLong();
  }

  private static String string(JsonNode object, String field) throws Invalid {
    return text(object.path(field), field);
  }

  private static String text(JsonNode value, String field) throws Invalid {
    if (!value.isTextual()) {
      throw new Invalid(field + " must be a string");
    }
    return value.asText();
  }

  private static boolean bool(JsonNode object, String field) throws Invalid {
    JsonNode value = object.path(field);
    if (!value.isBoolean()) {
      throw new Invalid(field + " must be a boolean");
    }
    return value.asBoolean();
  }

  private static String requestId(JsonNode frame, String field) throws Malformed {
    JsonNode id = frame.path(field);
    if (!id.isTextual()) {
      throw new Malformed(field + " must be a string");
    }
    return id.asText();
  }

  private static String quoted(String text) {
    return "'" + (text.length() > 64 ? text.substring(0, 64) + "…" : text) + "'";
  }

  private static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
