package io.lakeshard.core.stream;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A sealed run of a stream's messages: one immutable lake object at
 * {@code streams/{base64url(streamId)}/{seq}.seg} ({@code seq} zero-padded to 16 digits so listings
 * sort in stream order). Written once and never changed, so rewriting it after a crash is harmless.
 *
 * <p>Layout, big-endian: the magic {@code LSSG}, a u16 format version (1), then one frame per
 * message in offset order: a u32 frame length (the bytes after it), a u16 offset length, the
 * offset (ASCII, the offset after the message, as clients see it) and the message's stored bytes
 * (the rest of the frame). A later version may add fields; a reader refuses versions it does not know.
 */
final class StreamSegment {
  static final String CONTENT_TYPE = "application/vnd.lakeshard.stream-segment";
  private static final byte[] MAGIC = {'L', 'S', 'S', 'G'};
  private static final int VERSION = 1;

  private StreamSegment() {}

  /** Where a stream's segments live; every key of the stream starts with this. */
  static String prefix(String streamId) {
    return "streams/" + Base64.getUrlEncoder().withoutPadding().encodeToString(streamId.getBytes(StandardCharsets.UTF_8))
        + "/";
  }

  static String key(String streamId, long seq) {
    return prefix(streamId) + String.format("%016d", seq) + ".seg";
  }

  static byte[] encode(List<StreamProtocol.Message> messages) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeShort(VERSION);
      for (StreamProtocol.Message message : messages) {
        byte[] offset = message.offset().getBytes(StandardCharsets.US_ASCII);
        out.writeInt(2 + offset.length + message.data().length);
        out.writeShort(offset.length);
        out.write(offset);
        out.write(message.data());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The messages of a segment object; a damaged or unknown object is refused, never half-read. */
  static List<StreamProtocol.Message> decode(byte[] object) {
    ByteBuffer in = ByteBuffer.wrap(object);
    try {
      byte[] magic = new byte[MAGIC.length];
      in.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IllegalArgumentException("not a stream segment");
      }
      int version = Short.toUnsignedInt(in.getShort());
      if (version != VERSION) {
        throw new IllegalArgumentException("unknown stream segment version " + version);
      }
      List<StreamProtocol.Message> messages = new ArrayList<>();
      while (in.hasRemaining()) {
        int frame = in.getInt();
        int offsetLength = Short.toUnsignedInt(in.getShort());
        byte[] offset = new byte[offsetLength];
        in.get(offset);
        byte[] data = new byte[frame - 2 - offsetLength];
        in.get(data);
        messages.add(new StreamProtocol.Message(new String(offset, StandardCharsets.US_ASCII), data));
      }
      return messages;
    } catch (BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("truncated stream segment", e);
    }
  }
}
