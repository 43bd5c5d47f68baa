package io.lakeshard.node.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment file. Its size and live-event count belong to the journal's writer thread (and to
 * the scan at start, before that thread runs); replays read it concurrently at offsets the index
 * gave them. A removed segment's file goes once no replay holds it any more.
 */
final class SegmentFile {
  private static final Logger log = LoggerFactory.getLogger(SegmentFile.class);
  private static final String SUFFIX = ".seg";

  final long id;
  final Path path;
  final FileChannel channel;
  /** Bytes in the file that are whole records (writer thread). */
  long size;
  /** Events of this file that are not deleted (writer thread); a sealed segment at 0 is removed. */
  int liveEvents;
  /** One reference for the journal itself, one per replay reading the file. */
  private final AtomicInteger references = new AtomicInteger(1);

  private SegmentFile(long id, Path path, FileChannel channel, long size) {
    this.id = id;
    this.path = path;
    this.channel = channel;
    this.size = size;
  }

  static Path pathOf(Path dir, long id) {
    return dir.resolve(String.format("%020d%s", id, SUFFIX));
  }

  /** The id in a segment file's name, or -1 when the name is not a segment's. */
  static long idOf(Path file) {
    String name = file.getFileName().toString();
    if (!name.endsWith(SUFFIX)) {
      return -1;
    }
    try {
      return Long.parseLong(name.substring(0, name.length() - SUFFIX.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static SegmentFile open(Path dir, long id) throws IOException {
    Path path = pathOf(dir, id);
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new SegmentFile(id, path, channel, channel.size());
  }

  /** A new, empty segment with its header written (not yet forced). */
  static SegmentFile create(Path dir, long id) throws IOException {
    Path path = pathOf(dir, id);
    FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    SegmentFile segment = new SegmentFile(id, path, channel, 0);
    segment.write(ByteBuffer.wrap(SegmentFormat.MAGIC));
    return segment;
  }

  /** Appends {@code bytes} at the end; the caller forces. */
  void write(ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      size += channel.write(bytes, size);
    }
  }

  /** Reads {@code into.remaining()} bytes at {@code position}; false when the file ends first. */
  boolean readFully(ByteBuffer into, long position) throws IOException {
    while (into.hasRemaining()) {
      int read = channel.read(into, position);
      if (read < 0) {
        return false;
      }
      position += read;
    }
    return true;
  }

  /** The whole record whose frame starts at {@code offset}, checked against its CRC. */
  JournalRecord read(long offset) throws IOException {
    ByteBuffer frame = ByteBuffer.allocate(SegmentFormat.FRAME_BYTES);
    if (!readFully(frame, offset)) {
      throw corrupt(offset, "the file ends inside a frame");
    }
    int length = frame.getInt(0);
    if (length <= 0 || length > SegmentFormat.MAX_BODY_BYTES) {
      throw corrupt(offset, "frame length " + length);
    }
    ByteBuffer body = ByteBuffer.allocate(length);
    if (!readFully(body, offset + SegmentFormat.FRAME_BYTES)) {
      throw corrupt(offset, "the file ends inside a record");
    }
    body.flip();
    if (!SegmentFormat.checks(body, frame.getInt(4))) {
      throw corrupt(offset, "CRC mismatch");
    }
    try {
      return SegmentFormat.decode(body, true);
    } catch (IllegalArgumentException e) {
      throw corrupt(offset, e.getMessage());
    }
  }

  private IOException corrupt(long offset, String why) {
    return new IOException("journal segment " + path + " is corrupt at offset " + offset + ": " + why);
  }

  /** Taken by a replay while it holds an index entry into this file (so the file is not yet removed). */
  void retain() {
    references.incrementAndGet();
  }

  void release() {
    if (references.decrementAndGet() == 0) {
      try {
        channel.close();
        Files.deleteIfExists(path);
        log.debug("removed journal segment {}", path);
      } catch (IOException e) {
        log.warn("removing journal segment {}: {}", path, e.toString());
      }
    }
  }

  /** Compaction: nothing in the file is needed any more. */
  void remove() {
    release();
  }

  void close() throws IOException {
    channel.close();
  }
}
