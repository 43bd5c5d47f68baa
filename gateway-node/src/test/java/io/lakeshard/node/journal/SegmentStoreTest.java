package io.lakeshard.node.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The segment store on real files: writes, restarts, torn tails, deletion and compaction, group commit. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SegmentStoreTest {
  @TempDir Path dir;
  private final List<SegmentStore> opened = new ArrayList<>();

  @AfterEach
  void close() {
    opened.forEach(SegmentStore::close);
  }

  private SegmentStore open(long segmentBytes) throws IOException {
    return track(SegmentStore.open(settings(segmentBytes)));
  }

  private SegmentStore open(long segmentBytes, SegmentStore.Fsync fsync) throws IOException {
    return track(SegmentStore.open(settings(segmentBytes), fsync));
  }

  private SegmentStore track(SegmentStore store) {
    opened.add(store);
    return store;
  }

  private SegmentJournalSettings settings(long segmentBytes) {
    return new SegmentJournalSettings(dir.resolve("segments"), segmentBytes, 1 << 20, Optional.empty());
  }

  /** Closes {@code store} as a stop does (a crash leaves the same files: every acknowledged byte is forced). */
  private void stop(SegmentStore store) {
    opened.remove(store);
    store.close();
  }

  private static StoredEvent event(String pid, long seq) {
    return new StoredEvent(pid, seq, "writer-1", 1000 + seq, "", 7, "m",
        (pid + "#" + seq).getBytes(StandardCharsets.UTF_8));
  }

  /** One AtomicWrite of the events {@code from..to} of {@code pid}. */
  private static List<GroupCommit.Frame> write(String pid, long from, long to) {
    List<GroupCommit.Frame> frames = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      frames.add(new GroupCommit.Frame(pid, seq, SegmentFormat.event(event(pid, seq), seq == to)));
    }
    return frames;
  }

  private static List<String> replay(SegmentStore store, String pid) throws IOException {
    List<String> events = new ArrayList<>();
    store.replay(pid, 1, Long.MAX_VALUE, Long.MAX_VALUE, event -> {
      assertThat(event.writerUuid()).isEqualTo("writer-1");
      assertThat(event.timestamp()).isEqualTo(1000 + event.sequenceNr());
      events.add(new String(event.payload(), StandardCharsets.UTF_8));
    });
    return events;
  }

  private static List<String> expected(String pid, long from, long to) {
    List<String> events = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      events.add(pid + "#" + seq);
    }
    return events;
  }

  private Path lastSegment(SegmentStore store) {
    List<Path> files = store.segmentFiles();
    return files.get(files.size() - 1);
  }

  @Test
  void aRestartRebuildsTheIndexFromTheSegments() throws Exception {
    SegmentStore store = open(1 << 20);
    store.append(write("a", 1, 3)).join();
    store.append(write("b", 1, 1)).join();
    store.append(write("a", 4, 5)).join();
    assertThat(store.highestSequenceNr("a")).isEqualTo(5);
    assertThat(replay(store, "a")).containsExactlyElementsOf(expected("a", 1, 5));
    stop(store);

    SegmentStore reopened = open(1 << 20);
    assertThat(reopened.highestSequenceNr("a")).isEqualTo(5);
    assertThat(reopened.highestSequenceNr("b")).isEqualTo(1);
    assertThat(reopened.highestSequenceNr("unknown")).isZero();
    assertThat(replay(reopened, "a")).containsExactlyElementsOf(expected("a", 1, 5));
    List<Long> ranged = new ArrayList<>();
    reopened.replay("a", 2, 4, 2, event -> ranged.add(event.sequenceNr()));
    assertThat(ranged).containsExactly(2L, 3L);
  }

  @Test
  void aReplayLongerThanOneChunkReadsEveryEvent() throws Exception {
    SegmentStore store = open(64 << 10);
    for (long seq = 1; seq <= 1500; seq += 10) {
      store.append(write("long", seq, seq + 9)).join();
    }
    assertThat(replay(store, "long")).containsExactlyElementsOf(expected("long", 1, 1500));
    assertThat(store.segmentFiles()).hasSizeGreaterThan(1);
  }

  @Test
  void aTornTailIsCutAtStartAndWritingGoesOn() throws Exception {
    SegmentStore store = open(1 << 20);
    store.append(write("a", 1, 2)).join();
    Path last = lastSegment(store);
    stop(store);
    try (FileChannel file = FileChannel.open(last, java.nio.file.StandardOpenOption.APPEND)) {
      byte[] frame = SegmentFormat.event(event("a", 3), true);
      file.write(java.nio.ByteBuffer.wrap(frame, 0, frame.length - 5)); // the crash cut the last record short
    }

    SegmentStore reopened = open(1 << 20);
    assertThat(reopened.highestSequenceNr("a")).isEqualTo(2);
    assertThat(replay(reopened, "a")).containsExactlyElementsOf(expected("a", 1, 2));
    reopened.append(write("a", 3, 4)).join();
    stop(reopened);
    assertThat(replay(open(1 << 20), "a")).containsExactlyElementsOf(expected("a", 1, 4));
  }

  @Test
  void aRecordWithABadCrcAtTheTailIsDropped() throws Exception {
    SegmentStore store = open(1 << 20);
    store.append(write("a", 1, 1)).join();
    store.append(write("a", 2, 2)).join();
    Path last = lastSegment(store);
    stop(store);
    try (RandomAccessFile file = new RandomAccessFile(last.toFile(), "rw")) {
      file.seek(file.length() - 1);
      int lastByte = file.read();
      file.seek(file.length() - 1);
      file.write(lastByte ^ 0xFF); // a flipped bit in the last event's payload
    }

    SegmentStore reopened = open(1 << 20);
    assertThat(reopened.highestSequenceNr("a")).isEqualTo(1);
    assertThat(replay(reopened, "a")).containsExactly("a#1");
  }

  @Test
  void anAtomicWriteCutInItsMiddleIsDroppedWhole() throws Exception {
    SegmentStore store = open(1 << 20);
    store.append(write("a", 1, 1)).join();
    store.append(write("a", 2, 4)).join();
    Path last = lastSegment(store);
    stop(store);
    long lastFrame = SegmentFormat.event(event("a", 4), true).length;
    try (FileChannel file = FileChannel.open(last, java.nio.file.StandardOpenOption.WRITE)) {
      file.truncate(file.size() - lastFrame); // events 2 and 3 whole, 4 (the write's last) gone
    }

    SegmentStore reopened = open(1 << 20);
    assertThat(reopened.highestSequenceNr("a")).isEqualTo(1);
    assertThat(replay(reopened, "a")).containsExactly("a#1");
  }

  @Test
  void corruptionBeforeTheLastSegmentRefusesToStart() throws Exception {
    SegmentStore store = open(4096);
    for (long seq = 1; seq <= 200; seq++) {
      store.append(write("a", seq, seq)).join();
    }
    Path first = store.segmentFiles().get(0);
    stop(store);
    try (RandomAccessFile file = new RandomAccessFile(first.toFile(), "rw")) {
      file.seek(SegmentFormat.HEADER_BYTES + SegmentFormat.FRAME_BYTES + 3);
      file.write(0x55);
    }
    assertThatThrownBy(() -> open(4096)).isInstanceOf(IOException.class).hasMessageContaining("is corrupt")
        .hasMessageContaining(first.toString());
  }

  @Test
  void deletingRemovesSegmentsWithNothingLiveAndKeepsTheHighestSequenceNumber() throws Exception {
    SegmentStore store = open(4096);
    store.append(write("keep", 1, 2)).join();
    for (long seq = 1; seq <= 300; seq++) {
      store.append(write("gone", seq, seq)).join();
    }
    int before = store.segmentFiles().size();
    assertThat(before).isGreaterThan(3);
    Path first = store.segmentFiles().get(0);

    store.delete("gone", 250).join();
    assertThat(replay(store, "gone")).containsExactlyElementsOf(expected("gone", 251, 300));
    assertThat(store.segmentFiles()).hasSizeLessThan(before).contains(first); // "keep" holds the first one
    store.delete("gone", Long.MAX_VALUE).join();
    assertThat(store.highestSequenceNr("gone")).isEqualTo(300);
    assertThat(store.segmentFiles()).hasSize(2).contains(first); // the first one and the active one
    store.append(write("gone", 301, 301)).join(); // a later event is above the deletion
    stop(store);

    SegmentStore reopened = open(4096);
    assertThat(replay(reopened, "gone")).containsExactly("gone#301");
    assertThat(replay(reopened, "keep")).containsExactlyElementsOf(expected("keep", 1, 2));
    reopened.delete("keep", 2).join();
    reopened.delete("gone", 301).join();
    assertThat(reopened.segmentFiles()).hasSize(1);
    assertThat(Files.exists(first)).isFalse();
    stop(reopened);

    SegmentStore again = open(4096);
    assertThat(again.highestSequenceNr("gone")).isEqualTo(301);
    assertThat(again.highestSequenceNr("keep")).isEqualTo(2);
    assertThat(replay(again, "gone")).isEmpty();
    assertThat(replay(again, "keep")).isEmpty();
  }

  @Test
  void aSequenceNumberNotAboveTheHighestIsRefusedAlone() throws Exception {
    SegmentStore store = open(1 << 20);
    store.append(write("a", 1, 2)).join();
    CompletableFuture<Void> again = store.append(write("a", 2, 2));
    CompletableFuture<Void> other = store.append(write("b", 1, 1));
    assertThatThrownBy(again::join).hasMessageContaining("not above");
    other.join();
    assertThat(replay(store, "a")).containsExactlyElementsOf(expected("a", 1, 2));
  }

  @Test
  void writesOfManyEntitiesShareForcesAndNoneIsAcknowledgedBeforeItsForce() throws Exception {
    CountDownLatch forceEntered = new CountDownLatch(1);
    CountDownLatch forceMayFinish = new CountDownLatch(1);
    AtomicInteger forces = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean gated = new java.util.concurrent.atomic.AtomicBoolean();
    SegmentStore store = open(1 << 20, channel -> {
      if (gated.getAndSet(false)) { // the first force after open waits: a slow disk
        forceEntered.countDown();
        try {
          assertThat(forceMayFinish.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      channel.force(false);
      forces.incrementAndGet();
    });
    int forcesAtOpen = forces.get();
    gated.set(true);
    int writers = 16;
    int writesEach = 50;
    ExecutorService threads = Executors.newFixedThreadPool(writers);
    List<CompletableFuture<Void>> acknowledged = new ArrayList<>();
    try {
      CompletableFuture<Void> first = store.append(write("first", 1, 1));
      assertThat(forceEntered.await(30, TimeUnit.SECONDS)).isTrue();
      List<java.util.concurrent.Future<List<CompletableFuture<Void>>>> submitted = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String pid = "entity-" + w;
        submitted.add(threads.submit(() -> {
          List<CompletableFuture<Void>> mine = new ArrayList<>();
          for (int seq = 1; seq <= writesEach; seq++) {
            mine.add(store.append(write(pid, seq, seq)));
          }
          return mine;
        }));
      }
      for (var each : submitted) {
        acknowledged.addAll(each.get(30, TimeUnit.SECONDS));
      }
      // The writer sits in the force of the first write: nothing is acknowledged, not even it.
      assertThat(first).isNotDone();
      assertThat(acknowledged).noneMatch(CompletableFuture::isDone);
      forceMayFinish.countDown();
      first.join();
      CompletableFuture.allOf(acknowledged.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } finally {
      forceMayFinish.countDown();
      threads.shutdownNow();
    }
    assertThat(forces.get() - forcesAtOpen).as("group commits for " + (writers * writesEach + 1) + " writes")
        .isLessThan(writers * writesEach / 4);
    stop(store);
    SegmentStore reopened = open(1 << 20);
    for (int w = 0; w < writers; w++) {
      assertThat(replay(reopened, "entity-" + w)).containsExactlyElementsOf(expected("entity-" + w, 1, writesEach));
    }
  }

  @Test
  void afterAFailedForceNothingIsAcknowledged() throws Exception {
    AtomicInteger forces = new AtomicInteger();
    SegmentStore store = open(1 << 20, channel -> {
      if (forces.incrementAndGet() > 1) { // the first: the segment started at open
        throw new IOException("injected: the disk refuses");
      }
      channel.force(false);
    });
    assertThatThrownBy(() -> store.append(write("a", 1, 1)).join()).hasMessageContaining("injected");
    assertThatThrownBy(() -> store.append(write("b", 1, 1)).join()).hasMessageContaining("restart the node");
    assertThatThrownBy(() -> store.probe().join()).hasMessageContaining("restart the node");
    assertThat(store.highestSequenceNr("a")).isZero();
  }
}
