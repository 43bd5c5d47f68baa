package io.lakeshard.node.journal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The layout of a segment file: an 8-byte header ({@link #MAGIC}), then frames of
 * {@code int bodyLength, int crc32c(body), body}. A body starts with its kind:
 * <ul>
 *   <li>event ({@link #EVENT_MORE}, or {@link #EVENT_LAST} for the last of its AtomicWrite):
 *       sequenceNr, timestamp, serializerId, then persistenceId, writerUuid, adapter manifest and
 *       serializer manifest as length-prefixed UTF-8, then the payload (the rest of the body);</li>
 *   <li>deletion: toSequenceNr, persistenceId;</li>
 *   <li>mark: highestSequenceNr, deletedTo, persistenceId.</li>
 * </ul>
 * Integers are big-endian. A frame whose length or CRC does not check out is torn.
 */
final class SegmentFormat {
  static final byte[] MAGIC = {'L', 'S', 'J', 'O', 'U', 'R', 0, 1};
  static final int HEADER_BYTES = MAGIC.length;
  static final int FRAME_BYTES = 8;
  /** A larger event is refused (its write rejected): it keeps a frame's offset and the batch bounded. */
  static final int MAX_BODY_BYTES = 64 << 20;

  static final byte EVENT_MORE = 1;
  static final byte EVENT_LAST = 2;
  static final byte DELETION = 3;
  static final byte MARK = 4;

  private static final byte[] NO_PAYLOAD = new byte[0];

  private SegmentFormat() {}

  static byte[] event(StoredEvent event, boolean endsWrite) {
    byte[] pid = utf8(event.persistenceId());
    byte[] writer = utf8(event.writerUuid());
    byte[] adapter = utf8(event.adapterManifest());
    byte[] manifest = utf8(event.serializerManifest());
    long body = 1 + 8 + 8 + 4 + 16L + pid.length + writer.length + adapter.length + manifest.length
        + event.payload().length;
    if (body > MAX_BODY_BYTES) {
      throw new IllegalArgumentException("an event of " + body + " bytes is over the journal's limit of "
          + MAX_BODY_BYTES + " bytes");
    }
    ByteBuffer out = frame((int) body);
    out.put(endsWrite ? EVENT_LAST : EVENT_MORE).putLong(event.sequenceNr()).putLong(event.timestamp())
        .putInt(event.serializerId());
    putBytes(out, pid);
    putBytes(out, writer);
    putBytes(out, adapter);
    putBytes(out, manifest);
    out.put(event.payload());
    return sealed(out);
  }

  static byte[] deletion(String persistenceId, long toSequenceNr) {
    byte[] pid = utf8(persistenceId);
    ByteBuffer out = frame(1 + 8 + 4 + pid.length);
    out.put(DELETION).putLong(toSequenceNr);
    putBytes(out, pid);
    return sealed(out);
  }

  static byte[] mark(String persistenceId, long highestSequenceNr, long deletedTo) {
    byte[] pid = utf8(persistenceId);
    ByteBuffer out = frame(1 + 8 + 8 + 4 + pid.length);
    out.put(MARK).putLong(highestSequenceNr).putLong(deletedTo);
    putBytes(out, pid);
    return sealed(out);
  }

  /** Whether {@code body} has the CRC a frame carries. */
  static boolean checks(ByteBuffer body, int crc) {
    CRC32C checksum = new CRC32C();
    checksum.update(body.duplicate());
    return (int) checksum.getValue() == crc;
  }

  /**
   * The record in a frame's body (checked already); an event's payload only {@code withPayload}
   * (a scan needs ids and sequence numbers, a replay the whole event).
   *
   * @throws IllegalArgumentException when the body is not a record
   */
  static JournalRecord decode(ByteBuffer body, boolean withPayload) {
    try {
      byte kind = body.get();
      switch (kind) {
        case EVENT_MORE, EVENT_LAST -> {
          long seq = body.getLong();
          long timestamp = body.getLong();
          int serializerId = body.getInt();
          String pid = getString(body);
          String writer = getString(body);
          String adapter = getString(body);
          String manifest = getString(body);
          byte[] payload = NO_PAYLOAD;
          if (withPayload) {
            payload = new byte[body.remaining()];
            body.get(payload);
          }
          return new JournalRecord.Event(new StoredEvent(pid, seq, writer, timestamp, adapter, serializerId, manifest,
              payload), kind == EVENT_LAST);
        }
        case DELETION -> {
          long to = body.getLong();
          return new JournalRecord.Deletion(getString(body), to);
        }
        case MARK -> {
          long highest = body.getLong();
          long deletedTo = body.getLong();
          return new JournalRecord.Mark(getString(body), highest, deletedTo);
        }
        default -> throw new IllegalArgumentException("unknown record kind " + kind);
      }
    } catch (BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("record shorter than its fields", e);
    }
  }

  private static ByteBuffer frame(int bodyLength) {
    ByteBuffer out = ByteBuffer.allocate(FRAME_BYTES + bodyLength);
    out.putInt(bodyLength).putInt(0);
    return out;
  }

  private static byte[] sealed(ByteBuffer out) {
    CRC32C checksum = new CRC32C();
    checksum.update(out.array(), FRAME_BYTES, out.capacity() - FRAME_BYTES);
    out.putInt(4, (int) checksum.getValue());
    return out.array();
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static void putBytes(ByteBuffer out, byte[] bytes) {
    out.putInt(bytes.length).put(bytes);
  }

  private static String getString(ByteBuffer body) {
    int length = body.getInt();
    if (length < 0 || length > body.remaining()) {
      throw new IllegalArgumentException("string length " + length + " past the record's end");
    }
    String value = new String(body.array(), body.arrayOffset() + body.position(), length, StandardCharsets.UTF_8);
    body.position(body.position() + length);
    return value;
  }
}
