package io.lakeshard.node.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a segment from its start, handing over whole writes only: the events of an AtomicWrite
 * once its last one is read, deletions and marks as they come. It stops at the first frame that
 * is not whole (short, a length out of bounds, a CRC mismatch, a body that does not decode): a
 * torn tail after a crash. {@link Result#end()} is then where the whole writes end, so a partial
 * AtomicWrite before the torn frame is dropped with it.
 */
final class SegmentScan {
  private static final int CHUNK = 1 << 20;

  interface Visitor {
    /** A record of a whole write, with its frame's offset. */
    void accept(JournalRecord record, long offset);
  }

  /**
   * {@code end}: where the last whole write ends; {@code torn}: why the file goes on past it, or
   * null when it ends there.
   */
  record Result(long end, String torn) {}

  private final SegmentFile file;
  private final long fileSize;
  private ByteBuffer buffer = ByteBuffer.allocate(CHUNK).limit(0);
  /** The file position of the next byte read into the buffer. */
  private long readPosition;

  private SegmentScan(SegmentFile file) throws IOException {
    this.file = file;
    this.fileSize = file.channel.size();
  }

  static Result scan(SegmentFile file, Visitor visitor) throws IOException {
    return new SegmentScan(file).run(visitor);
  }

  private Result run(Visitor visitor) throws IOException {
    if (!available(SegmentFormat.HEADER_BYTES)) {
      return new Result(0, fileSize == 0 ? null : "the header is incomplete");
    }
    byte[] magic = new byte[SegmentFormat.HEADER_BYTES];
    buffer.get(magic);
    if (!Arrays.equals(magic, SegmentFormat.MAGIC)) {
      throw new IOException(file.path + " is not a journal segment (unknown header)");
    }
    long wholeEnd = SegmentFormat.HEADER_BYTES;
    List<JournalRecord> pending = new ArrayList<>();
    List<Long> pendingOffsets = new ArrayList<>();
    while (true) {
      long offset = position();
      if (offset == fileSize) {
        return new Result(wholeEnd, pending.isEmpty() ? null : "an AtomicWrite is missing its last event");
      }
      if (!available(SegmentFormat.FRAME_BYTES)) {
        return new Result(wholeEnd, "a frame header is cut short at offset " + offset);
      }
      int length = buffer.getInt();
      int crc = buffer.getInt();
      if (length <= 0 || length > SegmentFormat.MAX_BODY_BYTES) {
        return new Result(wholeEnd, "frame length " + length + " at offset " + offset);
      }
      if (!available(length)) {
        return new Result(wholeEnd, "a record is cut short at offset " + offset);
      }
      ByteBuffer body = buffer.slice(buffer.position(), length);
      buffer.position(buffer.position() + length);
      if (!SegmentFormat.checks(body, crc)) {
        return new Result(wholeEnd, "CRC mismatch at offset " + offset);
      }
      JournalRecord record;
      try {
        record = SegmentFormat.decode(body, false);
      } catch (IllegalArgumentException e) {
        return new Result(wholeEnd, e.getMessage() + " at offset " + offset);
      }
      if (record instanceof JournalRecord.Event event && !event.endsWrite()) {
        pending.add(record);
        pendingOffsets.add(offset);
        continue;
      }
      for (int i = 0; i < pending.size(); i++) {
        visitor.accept(pending.get(i), pendingOffsets.get(i));
      }
      pending.clear();
      pendingOffsets.clear();
      visitor.accept(record, offset);
      wholeEnd = position();
    }
  }

  private long position() {
    return readPosition - buffer.remaining();
  }

  /** Whether {@code bytes} more bytes are in the buffer, reading on from the file as needed. */
  private boolean available(int bytes) throws IOException {
    if (buffer.remaining() >= bytes) {
      return true;
    }
    if (position() + bytes > fileSize) {
      return false;
    }
    if (buffer.capacity() < bytes) {
      ByteBuffer larger = ByteBuffer.allocate(bytes);
      larger.put(buffer);
      buffer = larger;
    } else {
      buffer.compact();
    }
    while (buffer.hasRemaining() && readPosition < fileSize) {
      int read = file.channel.read(buffer, readPosition);
      if (read < 0) {
        break;
      }
      readPosition += read;
    }
    buffer.flip();
    return buffer.remaining() >= bytes;
  }
}
