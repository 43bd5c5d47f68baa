package io.lakeshard.core.eventstore;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * An event exactly as it goes on the wire, {@code {"name","args","seqNum","parentSeqNum",
 * "clientId","sessionId"}} (LiveStore's {@code LiveStoreEvent.Global.Encoded} field order), and
 * its UTF-8 size, both computed once per event. Pages are cut by that size and transports write
 * the text as a raw JSON value, so no event is encoded twice. {@code args} is left out when the
 * client sent none (LiveStore stores that as a NULL column).
 */
public final class EventJson {
  private static final JsonStringEncoder STRINGS = JsonStringEncoder.getInstance();

  private final String text;
  private final int utf8Size;

  private EventJson(String text) {
    this.text = text;
    this.utf8Size = utf8Length(text);
  }

  public static EventJson of(LiveEvent event) {
    StringBuilder json = new StringBuilder(96 + (event.argsJson() == null ? 0 : event.argsJson().length()));
    json.append("{\"name\":");
    quote(json, event.name());
    if (event.argsJson() != null) {
      json.append(",\"args\":").append(event.argsJson());
    }
    json.append(",\"seqNum\":").append(event.seqNum())
        .append(",\"parentSeqNum\":").append(event.parentSeqNum())
        .append(",\"clientId\":");
    quote(json, event.clientId());
    json.append(",\"sessionId\":");
    quote(json, event.sessionId());
    return new EventJson(json.append('}').toString());
  }

  /** The JSON text, to be written as a raw value. */
  public String text() {
    return text;
  }

  /** Bytes of {@link #text()} in UTF-8. */
  public int size() {
    return utf8Size;
  }

  private static void quote(StringBuilder json, String value) {
    if (value == null) {
      json.append("null");
    } else {
      json.append('"');
      STRINGS.quoteAsString(value, json);
      json.append('"');
    }
  }

  /** UTF-8 length without encoding (a lone surrogate encodes as one '?' byte, as String.getBytes does). */
  static int utf8Length(String text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        bytes++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof EventJson json && json.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}
