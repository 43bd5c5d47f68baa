package io.lakeshard.node.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's one writer: a thread that takes every request waiting (from all entities, up to
 * a batch's bytes), appends them to the active segment in one write, forces the file once, then
 * updates the index and completes them all. Nothing is acknowledged before its force. After a
 * failed write or force the file's tail is unknown, so every later request fails too until the
 * node restarts (the scan at start cuts the torn tail), as a database stops after a failed fsync.
 */
final class GroupCommit {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** One event's record, framed, with what the index needs of it. */
  record Frame(String persistenceId, long sequenceNr, byte[] bytes) {}

  sealed interface Request {
    CompletableFuture<Void> done();
  }

  /** The frames of whole AtomicWrites of one writer (one persistent actor's batch), in order. */
  record Append(List<Frame> frames, CompletableFuture<Void> done) implements Request {}

  record Delete(String persistenceId, long toSequenceNr, CompletableFuture<Void> done) implements Request {}

  record Probe(CompletableFuture<Void> done) implements Request {}

  private record Stop(CompletableFuture<Void> done) implements Request {}

  private final SegmentStore store;
  private final long maxBatchBytes;
  private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
  /** The first write that failed; from then on nothing is written. */
  private volatile IOException failed;

  GroupCommit(SegmentStore store, long maxBatchBytes) {
    this.store = store;
    this.maxBatchBytes = maxBatchBytes;
    this.thread = new Thread(this::run, "lakeshard-journal-writer");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  <R extends Request> CompletableFuture<Void> submit(R request) {
    queue.add(request);
    return request.done();
  }

  /** Writes what is queued, then stops the thread. */
  void stop() {
    if (!thread.isAlive()) {
      return;
    }
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    queue.add(new Stop(stopped));
    stopped.join();
  }

  private void run() {
    List<Request> batch = new ArrayList<>();
    while (true) {
      Request first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        return; // a daemon thread: the JVM is going
      }
      batch.add(first);
      long bytes = bytes(first);
      Request next;
      while (!(batch.get(batch.size() - 1) instanceof Stop) && bytes < maxBatchBytes
          && (next = queue.poll()) != null) {
        batch.add(next);
        bytes += bytes(next);
      }
      commit(batch);
      Request last = batch.get(batch.size() - 1);
      batch.clear();
      if (last instanceof Stop stop) {
        stop.done().complete(null);
        return;
      }
    }
  }

  private static long bytes(Request request) {
    if (request instanceof Append append) {
      long bytes = 0;
      for (Frame frame : append.frames()) {
        bytes += frame.bytes().length;
      }
      return bytes;
    }
    return 64;
  }

  /** What a batch changes in the index once it is on disk: each event's location, each deletion. */
  private record Written(Frame frame, long location) {}

  private void commit(List<Request> batch) {
    if (failed != null) {
      batch.forEach(request -> fail(request, unavailable()));
      return;
    }
    try {
      store.rollIfFull();
      SegmentFile segment = store.active();
      long start = segment.size;
      buffer.clear();
      List<Written> written = new ArrayList<>();
      List<Delete> deletions = new ArrayList<>();
      List<Request> accepted = new ArrayList<>();
      Map<String, Long> highestInBatch = new HashMap<>();
      for (Request request : batch) {
        if (request instanceof Stop) {
          continue; // completed once the thread is done
        }
        if (request instanceof Append append) {
          String refused = refusal(append, highestInBatch);
          if (refused != null) {
            request.done().completeExceptionally(new IllegalStateException(refused));
            continue;
          }
          for (Frame frame : append.frames()) {
            written.add(new Written(frame, PersistenceLog.location(segment.id, start + buffer.position())));
            put(frame.bytes());
            highestInBatch.put(frame.persistenceId(), frame.sequenceNr());
          }
        } else if (request instanceof Delete delete) {
          // Up to the events there are: a later event above a mark of Long.MAX_VALUE stays live.
          String pid = delete.persistenceId();
          long upTo = Math.min(delete.toSequenceNr(), highestInBatch.getOrDefault(pid, store.highestSequenceNr(pid)));
          PersistenceLog entries = store.existingEntries(pid);
          if (upTo > (entries == null ? 0 : entries.deletedTo())) {
            put(SegmentFormat.deletion(pid, upTo));
            deletions.add(new Delete(pid, upTo, delete.done()));
          }
        }
        accepted.add(request);
      }
      if (buffer.position() > 0) {
        segment.write(buffer.flip());
        store.fsync.force(segment.channel);
      }
      for (Written event : written) {
        store.entries(event.frame().persistenceId()).append(event.frame().sequenceNr(), event.location());
        segment.liveEvents++;
      }
      for (Delete delete : deletions) {
        store.entries(delete.persistenceId()).deleteTo(delete.toSequenceNr(), store::forget);
      }
      if (!deletions.isEmpty()) {
        store.removeEmptySealed();
      }
      accepted.forEach(request -> request.done().complete(null));
    } catch (IOException | RuntimeException e) {
      failed = e instanceof IOException io ? io : new IOException(e);
      log.error("journal: writing to {} failed; no journal write is acknowledged until the node restarts: {}",
          store.settings.dir(), e.toString());
      batch.forEach(request -> fail(request, unavailable()));
    }
  }

  /** Why an append cannot be written (a sequence number not above its id's highest), or null. */
  private String refusal(Append append, Map<String, Long> highestInBatch) {
    Map<String, Long> highest = new HashMap<>();
    for (Frame frame : append.frames()) {
      long before = highest.computeIfAbsent(frame.persistenceId(),
          pid -> highestInBatch.getOrDefault(pid, store.highestSequenceNr(pid)));
      if (frame.sequenceNr() <= before) {
        return "event " + frame.sequenceNr() + " of " + frame.persistenceId()
            + " is not above the journal's highest sequence number, " + before;
      }
      highest.put(frame.persistenceId(), frame.sequenceNr());
    }
    return null;
  }

  private void put(byte[] bytes) {
    if (buffer.remaining() < bytes.length) {
      ByteBuffer larger = ByteBuffer.allocateDirect(Math.max(buffer.capacity() * 2, buffer.position() + bytes.length));
      larger.put(buffer.flip());
      buffer = larger;
    }
    buffer.put(bytes);
  }

  private IOException unavailable() {
    return new IOException("the journal stopped writing after a failed write (" + failed.getMessage()
        + "); restart the node", failed);
  }

  private static void fail(Request request, Exception cause) {
    if (!(request instanceof Stop) && !request.done().isDone()) {
      request.done().completeExceptionally(cause);
    }
  }
}
