package io.lakeshard.core.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.eventstore.EventFlush;
import io.lakeshard.core.eventstore.EventFlushResult;
import io.lakeshard.core.eventstore.LiveEvent;
import io.lakeshard.core.eventstore.StoredEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.relocated.com.google.common.collect.Lists;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What LiveStore's event log in Iceberg must do, whatever the catalogue and the object store:
 * each implementation's test extends this with its own real servers. Store ids are unique per
 * test, so the suite also holds when its tests share one table.
 */
public abstract class EventLogLakeContract {
  private static final long DAY_MS = 86_400_000L;
  private static final long WALL = 1_790_000_000_000L; // 2026-09-21
  private static final String BACKEND = "3QcnOq0LF8ZJ5PYUDrnfi";

  protected abstract IcebergEventLog log();

  protected abstract IcebergCatalogue catalogue();

  /** Events {@code from..to} of one chain (each the child of the one before), accepted at {@code createdAt}. */
  private static List<StoredEvent> events(long from, long to, long createdAt) {
    List<StoredEvent> events = new ArrayList<>();
    for (long n = from; n <= to; n++) {
      events.add(new StoredEvent(new LiveEvent(n, n - 1, "v1.TodoCreated", "{\"id\":\"t" + n + "\",\"text\":\"todo " + n + "\"}",
          "client-a", "session-1"), createdAt));
    }
    return events;
  }

  private static List<Long> seqNums(List<StoredEvent> events) {
    return events.stream().map(StoredEvent::seqNum).toList();
  }

  private List<Record> rows(String storeId) throws Exception {
    Table table = catalogue().catalog().loadTable(IcebergEventLog.TABLE);
    try (CloseableIterable<Record> records = IcebergGenerics.read(table)
        .where(org.apache.iceberg.expressions.Expressions.equal("storeId", storeId)).build()) {
      return Lists.newArrayList(records).stream().filter(row -> storeId.equals(row.getField("storeId"))).toList();
    }
  }

  @Test
  void flushesComeBackInOrderWithEveryField() throws Exception {
    String store = "store-round-trip";
    List<StoredEvent> first = List.of(
        new StoredEvent(new LiveEvent(1, 0, "v1.TodoCreated", "{\"id\":\"a\",\"text\":\"caf\\u00e9 \\\"q\\\" ✓\"}", "client-a", "s-1"), WALL),
        new StoredEvent(new LiveEvent(2, 1, "v1.NoArgs", null, "client-a", "s-1"), WALL),
        new StoredEvent(new LiveEvent(3, 2, "v1.NullArgs", "null", "client-b", "s-9"), WALL + 5));
    List<StoredEvent> second = events(4, 6, WALL + 1_000);

    EventFlushResult one = log().append(new EventFlush(store, BACKEND, 1, first));
    EventFlushResult two = log().append(new EventFlush(store, BACKEND, 2, second));

    assertThat(one).satisfies(result -> {
      assertThat(result.flushId()).isEqualTo(1);
      assertThat(result.upToSeqNum()).isEqualTo(3);
      assertThat(result.written()).isEqualTo(3);
      assertThat(result.alreadyCommitted()).isZero();
      assertThat(result.bytes()).isPositive();
    });
    assertThat(two.written()).isEqualTo(3);
    assertThat(two.snapshotId()).isNotEqualTo(one.snapshotId());
    List<StoredEvent> all = new ArrayList<>(first);
    all.addAll(second);
    List<StoredEvent> read = log().read(store, BACKEND, 0, 100);
    assertThat(read).containsExactlyElementsOf(all);
    assertThat(read.get(0).json().text()).isEqualTo(first.get(0).json().text());
    assertThat(read.get(1).event().argsJson()).isNull();

    Table table = catalogue().catalog().loadTable(IcebergEventLog.TABLE);
    assertThat(table.spec().fields()).extracting(field -> field.transform().toString())
        .containsExactly("day", "bucket[16]");
    Snapshot snapshot = table.snapshot(two.snapshotId());
    assertThat(snapshot.summary())
        .containsEntry(IcebergEventLog.SUMMARY_STORE, store)
        .containsEntry(IcebergEventLog.SUMMARY_BACKEND, BACKEND)
        .containsEntry(IcebergEventLog.SUMMARY_FLUSH, "2")
        .containsEntry(IcebergEventLog.SUMMARY_MIN_SEQ, "4")
        .containsEntry(IcebergEventLog.SUMMARY_MAX_SEQ, "6");
    Record row = rows(store).stream().filter(r -> (Long) r.getField("seqNum") == 3).findFirst().orElseThrow();
    assertThat(row.getField("args")).isEqualTo("null");
    assertThat(row.getField("clientId")).isEqualTo("client-b");
    assertThat(row.getField("sessionId")).isEqualTo("s-9");
    assertThat(row.getField("parentSeqNum")).isEqualTo(2L);
    assertThat(row.getField("backendId")).isEqualTo(BACKEND);
  }

  @Test
  void aRetriedFlushFindsItsEventsAndWritesNothingTwice() throws Exception {
    String store = "store-retry";
    log().append(new EventFlush(store, BACKEND, 1, events(1, 4, WALL)));
    EventFlush plan = new EventFlush(store, BACKEND, 2, events(5, 9, WALL + 10));
    EventFlushResult committed = log().append(plan);
    // Another store commits in between, as it would while this store's node restarts.
    log().append(new EventFlush("store-retry-other", BACKEND, 1, events(1, 3, WALL)));

    EventFlushResult again = log().append(plan);

    assertThat(committed.written()).isEqualTo(5);
    assertThat(again.written()).isZero();
    assertThat(again.alreadyCommitted()).isEqualTo(5);
    assertThat(again.upToSeqNum()).isEqualTo(9);
    assertThat(rows(store)).hasSize(9);
    assertThat(seqNums(log().read(store, BACKEND, 0, 100))).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    // An earlier flush retried after a later one committed is found as well.
    assertThat(log().append(new EventFlush(store, BACKEND, 1, events(1, 4, WALL))).alreadyCommitted()).isEqualTo(4);
    assertThat(rows(store)).hasSize(9);
  }

  @Test
  void aReadFromTheMiddleStartsAfterItsCursorAndStopsAtItsLimit() throws Exception {
    String store = "store-middle";
    long beforeMidnight = (WALL / DAY_MS + 1) * DAY_MS - 1;
    log().append(new EventFlush(store, BACKEND, 1, events(1, 10, WALL)));
    // A flush across midnight: one file per day, read back in seqNum order.
    List<StoredEvent> acrossMidnight = new ArrayList<>(events(11, 15, beforeMidnight));
    acrossMidnight.addAll(events(16, 20, beforeMidnight + 2));
    log().append(new EventFlush(store, BACKEND, 2, acrossMidnight));
    log().append(new EventFlush(store, BACKEND, 3, events(21, 30, beforeMidnight + 10)));

    assertThat(seqNums(log().read(store, BACKEND, 8, 5))).containsExactly(9L, 10L, 11L, 12L, 13L);
    assertThat(seqNums(log().read(store, BACKEND, 13, 9))).containsExactly(14L, 15L, 16L, 17L, 18L, 19L, 20L, 21L, 22L);
    assertThat(log().read(store, BACKEND, 25, 100)).hasSize(5).first().satisfies(event -> assertThat(event.seqNum()).isEqualTo(26));
    assertThat(log().read(store, BACKEND, 30, 100)).isEmpty();
    assertThat(log().read(store, BACKEND, 0, 0)).isEmpty();
    assertThat(log().read(store, BACKEND, 0, 1000)).hasSize(30);
  }

  @Test
  void storesAndIncarnationsNeverSeeEachOther() throws Exception {
    // Longer than the 16 characters Iceberg keeps of a string's bounds by default.
    String a = "tenant-with-a-long-common-prefix-a";
    String b = "tenant-with-a-long-common-prefix-b";
    log().append(new EventFlush(a, BACKEND, 1, events(1, 3, WALL)));
    log().append(new EventFlush(b, BACKEND, 1, events(1, 2, WALL)));
    log().append(new EventFlush(b, "another-incarnation00", 1, events(1, 4, WALL)));

    assertThat(log().read(a, BACKEND, 0, 100)).hasSize(3);
    assertThat(log().read(b, BACKEND, 0, 100)).hasSize(2);
    assertThat(log().read(b, "another-incarnation00", 0, 100)).hasSize(4);
    assertThat(log().read(a, "another-incarnation00", 0, 100)).isEmpty();
  }

  /**
   * The commit's conflict check and reads match files to a store by their storeId bounds: those
   * must be the whole id. Iceberg's writers truncate string bounds to 16 characters by default,
   * and then two stores with a longer common prefix in one bucket conflict on every concurrent flush.
   */
  @Test
  void aFlushedFileCarriesItsWholeStoreIdAsBothBounds() throws Exception {
    String store = "a-store-id-longer-than-sixteen-characters";
    log().append(new EventFlush(store, BACKEND, 1, events(1, 3, WALL)));
    Table table = catalogue().catalog().loadTable(IcebergEventLog.TABLE);
    int field = table.schema().findField("storeId").fieldId();
    List<org.apache.iceberg.DataFile> files = Lists.newArrayList(table.currentSnapshot().addedDataFiles(table.io()));
    assertThat(files).isNotEmpty().allSatisfy(file -> {
      assertThat(org.apache.iceberg.types.Conversions.<CharSequence>fromByteBuffer(
          org.apache.iceberg.types.Types.StringType.get(), file.lowerBounds().get(field)).toString()).isEqualTo(store);
      assertThat(org.apache.iceberg.types.Conversions.<CharSequence>fromByteBuffer(
          org.apache.iceberg.types.Types.StringType.get(), file.upperBounds().get(field)).toString()).isEqualTo(store);
    });
  }

  @Test
  void anEmptyStoreReadsNothing() throws Exception {
    assertThat(log().read("store-never-flushed", BACKEND, 0, 100)).isEmpty();
    EventFlushResult empty = log().append(new EventFlush("store-never-flushed", BACKEND, 1, List.of()));
    assertThat(empty.written()).isZero();
    assertThat(empty.alreadyCommitted()).isZero();
    assertThat(log().read("store-never-flushed", BACKEND, 0, 100)).isEmpty();
  }

  /**
   * Ten stores flush three times each at once into the one table. A flush that fails after
   * Iceberg's own retries is tried again, as its entity would after a backoff: each event
   * still lands exactly once.
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void concurrentStoresLandEveryEventExactlyOnce() throws Exception {
    int stores = 10;
    int flushes = 3;
    int perFlush = 20;
    AtomicInteger failedAttempts = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(stores);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int s = 0; s < stores; s++) {
        String store = "concurrent-" + s;
        done.add(pool.submit(() -> {
          for (int f = 0; f < flushes; f++) {
            EventFlush flush = new EventFlush(store, BACKEND, f + 1,
                events(f * perFlush + 1, (f + 1) * perFlush, WALL + f));
            for (int attempt = 1; ; attempt++) {
              try {
                log().append(flush);
                break;
              } catch (RuntimeException | java.io.IOException e) {
                failedAttempts.incrementAndGet();
                if (attempt == 10) {
                  throw new AssertionError("flush " + flush.flushId() + " of " + store + " kept failing", e);
                }
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> future : done) {
        future.get(170, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Long> expected = new ArrayList<>();
    for (long n = 1; n <= (long) flushes * perFlush; n++) {
      expected.add(n);
    }
    for (int s = 0; s < stores; s++) {
      String store = "concurrent-" + s;
      assertThat(seqNums(log().read(store, BACKEND, 0, 1000))).as(store).containsExactlyElementsOf(expected);
      assertThat(rows(store)).as(store + " rows in the table").hasSize(flushes * perFlush);
    }
    System.out.printf("concurrent stores: %d flush attempts failed after Iceberg's retries%n", failedAttempts.get());
  }
}
