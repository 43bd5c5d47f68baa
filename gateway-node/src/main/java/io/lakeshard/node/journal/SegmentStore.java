package io.lakeshard.node.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only segment-file journal: segments in one directory, an in-memory index of every
 * live event (rebuilt by scanning the segments at open), and one writer thread
 * ({@link GroupCommit}) that appends. Replays read the files at the index's offsets, on the
 * caller's thread.
 */
public final class SegmentStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SegmentStore.class);
  /** Events a replay looks up under the persistence id's lock at a time. */
  private static final int REPLAY_CHUNK = 512;

  final SegmentJournalSettings settings;
  /** How the writer makes a segment's writes durable: {@code force(false)}; tests inject faults here. */
  final Fsync fsync;
  private final ConcurrentHashMap<String, PersistenceLog> index = new ConcurrentHashMap<>();
  private final NavigableMap<Long, SegmentFile> segments = new ConcurrentSkipListMap<>();
  /** The segment appended to (writer thread). */
  private SegmentFile active;
  private final GroupCommit writer;

  interface Fsync {
    void force(FileChannel channel) throws IOException;
  }

  private SegmentStore(SegmentJournalSettings settings, Fsync fsync) {
    this.settings = settings;
    this.fsync = fsync;
    this.writer = new GroupCommit(this, settings.maxBatchBytes());
  }

  /**
   * Opens the journal in {@code settings.dir()} (created when missing): scans every segment into
   * the index, cuts a torn tail off the last one, starts a new segment and removes the segments
   * nothing is left in.
   */
  public static SegmentStore open(SegmentJournalSettings settings) throws IOException {
    return open(settings, channel -> channel.force(false));
  }

  static SegmentStore open(SegmentJournalSettings settings, Fsync fsync) throws IOException {
    long started = System.nanoTime();
    SegmentStore store = new SegmentStore(settings, fsync);
    Files.createDirectories(settings.dir());
    List<Long> ids;
    try (Stream<Path> files = Files.list(settings.dir())) {
      ids = files.map(SegmentFile::idOf).filter(id -> id >= 0).sorted().toList();
    }
    long events = 0;
    try {
      for (int i = 0; i < ids.size(); i++) {
        events += store.load(ids.get(i), i == ids.size() - 1);
      }
      store.roll(ids.isEmpty() ? 1 : ids.get(ids.size() - 1) + 1);
    } catch (IOException | RuntimeException e) {
      store.closeSegments();
      throw e;
    }
    store.removeEmptySealed();
    store.writer.start();
    log.info("journal: {} live events of {} persistence ids in {} segments under {}, read in {} ms", events,
        store.index.size(), store.segments.size(), settings.dir(), (System.nanoTime() - started) / 1_000_000);
    return store;
  }

  /** Scans one segment into the index; returns the events it read. */
  private long load(long id, boolean last) throws IOException {
    SegmentFile segment = SegmentFile.open(settings.dir(), id);
    segments.put(id, segment);
    long[] events = {0};
    SegmentScan.Result scanned = SegmentScan.scan(segment, (record, offset) -> {
      apply(record, PersistenceLog.location(id, offset), segment);
      events[0]++;
    });
    if (scanned.torn() != null) {
      if (!last) {
        throw new IOException("journal segment " + segment.path + " is corrupt (" + scanned.torn()
            + "), and later segments follow it: acknowledged events may be damaged; not starting");
      }
      log.warn("journal: cutting the torn tail of {} at offset {} ({} bytes dropped: {}); nothing there was acknowledged",
          segment.path, scanned.end(), segment.channel.size() - scanned.end(), scanned.torn());
      segment.channel.truncate(scanned.end());
      segment.channel.force(true);
      segment.size = scanned.end();
    }
    if (segment.size < SegmentFormat.HEADER_BYTES) {
      segments.remove(id);
      segment.close();
      Files.delete(segment.path); // a segment whose header was torn while it was being started
      return 0;
    }
    return events[0];
  }

  /** One record read at start, at {@code location} in {@code segment}. */
  private void apply(JournalRecord record, long location, SegmentFile segment) {
    PersistenceLog entries = index.computeIfAbsent(record.persistenceId(), pid -> new PersistenceLog());
    if (record instanceof JournalRecord.Event event) {
      long seq = event.event().sequenceNr();
      if (seq <= entries.highest()) {
        throw new IllegalStateException("journal segment " + segment.path + " holds event " + seq + " of "
            + record.persistenceId() + " after its event " + entries.highest() + ": not starting");
      }
      entries.append(seq, location);
      segment.liveEvents++;
    } else if (record instanceof JournalRecord.Deletion deletion) {
      entries.deleteTo(deletion.toSequenceNr(), this::forget);
    } else if (record instanceof JournalRecord.Mark mark) {
      entries.mark(mark.highestSequenceNr(), mark.deletedTo(), this::forget);
    }
  }

  /** An event at {@code location} is deleted (writer thread, or the scan at start). */
  void forget(long location) {
    segments.get(PersistenceLog.segmentOf(location)).liveEvents--;
  }

  /** The highest sequence number ever written for {@code persistenceId} (0: none), deleted events included. */
  public long highestSequenceNr(String persistenceId) {
    PersistenceLog entries = index.get(persistenceId);
    return entries == null ? 0 : entries.highest();
  }

  /** How many events of {@code persistenceId} a replay from 0 would read. */
  public int liveEvents(String persistenceId) {
    PersistenceLog entries = index.get(persistenceId);
    return entries == null ? 0 : entries.liveEvents();
  }

  /** The segment files there are, oldest first. */
  public List<Path> segmentFiles() {
    return segments.values().stream().map(segment -> segment.path).toList();
  }

  /**
   * Reads the live events of {@code persistenceId} from {@code from} to {@code to}, at most
   * {@code max}, in order, handing each to {@code each}.
   */
  public void replay(String persistenceId, long from, long to, long max, Consumer<StoredEvent> each)
      throws IOException {
    PersistenceLog entries = index.get(persistenceId);
    if (entries == null) {
      return;
    }
    long next = from;
    long left = max;
    while (left > 0) {
      long[] locations = new long[(int) Math.min(REPLAY_CHUNK, left)];
      List<SegmentFile> held = new ArrayList<>();
      long[] last = {0};
      int found = entries.forEach(next, to, locations.length, new PersistenceLog.Entry() {
        private int i;

        @Override
        public void accept(long sequenceNr, long location) {
          SegmentFile segment = segments.get(PersistenceLog.segmentOf(location));
          segment.retain(); // a live event keeps its segment listed: it is not removed meanwhile
          held.add(segment);
          locations[i++] = location;
          last[0] = sequenceNr;
        }
      });
      try {
        for (int i = 0; i < found; i++) {
          JournalRecord record = held.get(i).read(PersistenceLog.offsetOf(locations[i]));
          if (!(record instanceof JournalRecord.Event event) || !event.persistenceId().equals(persistenceId)) {
            throw new IOException("journal index points at a record that is not an event of " + persistenceId);
          }
          each.accept(event.event());
        }
      } finally {
        held.forEach(SegmentFile::release);
      }
      if (found < locations.length) {
        return;
      }
      left -= found;
      next = last[0] + 1;
    }
  }

  /** Appends the frames (whole AtomicWrites, in order); completes once they are on disk. */
  public CompletableFuture<Void> append(List<GroupCommit.Frame> frames) {
    return writer.submit(new GroupCommit.Append(frames, new CompletableFuture<>()));
  }

  /** Deletes the events of {@code persistenceId} up to {@code toSequenceNr}; completes once that is on disk. */
  public CompletableFuture<Void> delete(String persistenceId, long toSequenceNr) {
    return writer.submit(new GroupCommit.Delete(persistenceId, toSequenceNr, new CompletableFuture<>()));
  }

  /** Completes when the writer takes it, if no write has failed (readiness). */
  public CompletableFuture<Void> probe() {
    return writer.submit(new GroupCommit.Probe(new CompletableFuture<>()));
  }

  // Writer thread (and open, before the writer starts).

  PersistenceLog entries(String persistenceId) {
    return index.computeIfAbsent(persistenceId, pid -> new PersistenceLog());
  }

  PersistenceLog existingEntries(String persistenceId) {
    return index.get(persistenceId);
  }

  SegmentFile active() {
    return active;
  }

  /** Starts a new active segment once the current one is full. */
  void rollIfFull() throws IOException {
    if (active.size >= settings.segmentBytes()) {
      roll(active.id + 1);
    }
  }

  /**
   * Starts segment {@code id} with a mark of every persistence id, forced (the file and its
   * directory entry) before the previous segment becomes one compaction may remove.
   */
  private void roll(long id) throws IOException {
    SegmentFile next = SegmentFile.create(settings.dir(), id);
    ByteBuffer marks = ByteBuffer.allocate(64 << 10);
    for (Map.Entry<String, PersistenceLog> entry : index.entrySet()) {
      byte[] mark = SegmentFormat.mark(entry.getKey(), entry.getValue().highest(), entry.getValue().deletedTo());
      if (marks.remaining() < mark.length) {
        next.write(marks.flip());
        marks = ByteBuffer.allocate(Math.max(64 << 10, mark.length));
      }
      marks.put(mark);
    }
    next.write(marks.flip());
    fsync.force(next.channel);
    try (FileChannel directory = FileChannel.open(settings.dir(), StandardOpenOption.READ)) {
      directory.force(true);
    }
    active = next;
    segments.put(id, next);
  }

  /** Compaction: removes every segment but the active one that holds no live event. */
  void removeEmptySealed() {
    for (SegmentFile segment : segments.values()) {
      if (segment != active && segment.liveEvents == 0) {
        segments.remove(segment.id);
        segment.remove();
        log.debug("journal: removed segment {}, all its events deleted", segment.path);
      }
    }
  }

  @Override
  public void close() {
    writer.stop();
    closeSegments();
  }

  private void closeSegments() {
    for (SegmentFile segment : segments.values()) {
      try {
        segment.close();
      } catch (IOException e) {
        log.warn("closing journal segment {}: {}", segment.path, e.toString());
      }
    }
  }
}
