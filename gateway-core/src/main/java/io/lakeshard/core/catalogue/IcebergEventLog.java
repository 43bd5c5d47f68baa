package io.lakeshard.core.catalogue;

import static io.lakeshard.core.catalogue.EventRecords.BACKEND_ID;
import static io.lakeshard.core.catalogue.EventRecords.SEQ_NUM;
import static io.lakeshard.core.catalogue.EventRecords.STORE_ID;

import com.typesafe.config.Config;
import io.lakeshard.core.eventstore.EventFlush;
import io.lakeshard.core.eventstore.EventFlushResult;
import io.lakeshard.core.eventstore.EventLogLake;
import io.lakeshard.core.eventstore.StoredEvent;
import io.lakeshard.core.lake.LakeFileIO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;

/**
 * Every LiveStore store's flushed events in one Iceberg table, {@code livestore.events}
 * (layout: {@link EventRecords}), in the node's {@link IcebergCatalogue}. A flush is one commit
 * of one data file per day it spans, all in the store's bucket.
 *
 * <p>Exactly once. A store's seqNums only grow and its flushes commit in order, each atomically,
 * so the lake's own rows are the marker: before writing, the flush looks for the store's rows at
 * or above its first seqNum and writes only the events above them (normally all; none when an
 * earlier attempt committed). That check survives snapshot expiry, and its cost does not grow
 * with the commits other stores make between two of this store's flushes, as a walk of snapshot
 * summaries would in a table every store commits to. The commit then validates that no file of
 * this store was added since the snapshot checked ({@code validateNoConflictingData}), so even two
 * owners of one store (a split brain) cannot both commit the same events. Other stores' commits
 * only conflict optimistically: Iceberg retries those ({@code commit.retry.num-retries}), and a
 * flush that still fails is retried by the entity, whose next attempt checks again. Each snapshot's
 * summary also names the store, incarnation, flush id and seqNum range, for people and tools.
 *
 * <p>Cost of a read (and of the check): the manifest list, then only the manifests whose
 * partition range holds the store's bucket (one in {@code store-buckets} while manifests are
 * per commit), then the data files whose storeId and seqNum bounds match (exact: storeId metrics
 * are kept in full). Files are opened in seqNum order and only as many as the page needs: a page
 * of 100 from an old cursor usually opens one file (a flush holds up to max-buffer-bytes of events).
 */
public final class IcebergEventLog implements EventLogLake {
  public static final Namespace NAMESPACE = Namespace.of("livestore");
  public static final TableIdentifier TABLE = TableIdentifier.of(NAMESPACE, "events");
  public static final String SUMMARY_STORE = "lakeshard.store-id";
  public static final String SUMMARY_BACKEND = "lakeshard.backend-id";
  public static final String SUMMARY_FLUSH = "lakeshard.flush-id";
  public static final String SUMMARY_MIN_SEQ = "lakeshard.min-seq-num";
  public static final String SUMMARY_MAX_SEQ = "lakeshard.max-seq-num";
  private static final int SEQ_NUM_FIELD = EventRecords.SCHEMA.findField(SEQ_NUM).fieldId();
  private static final Comparator<StoredEvent> BY_SEQ_NUM = Comparator.comparingLong(StoredEvent::seqNum);

  /**
   * The table's layout knobs ({@code lakeshard.livestore.lake}); they apply when the table is
   * created, later changes are Iceberg table properties and partition spec evolution.
   */
  public record Settings(int storeBuckets, int commitRetries) {
    public static Settings fromConfig(Config config) {
      Config lake = config.getConfig("lakeshard.livestore.lake");
      return new Settings(lake.getInt("store-buckets"), lake.getInt("commit-retries"));
    }
  }

  private final IcebergCatalogue catalogue;
  private final LakeFileIO io;
  private final Settings settings;

  public IcebergEventLog(IcebergCatalogue catalogue, Settings settings) {
    this.catalogue = catalogue;
    this.io = catalogue.io();
    this.settings = settings;
  }

  @Override
  public EventFlushResult append(EventFlush flush) throws IOException {
    List<StoredEvent> events = flush.events();
    if (events.isEmpty()) {
      return new EventFlushResult(flush.flushId(), 0, 0, 0, 0, 0);
    }
    Table table = table();
    Snapshot base = table.currentSnapshot();
    long held = base == null ? Long.MIN_VALUE
        : highestSeqNum(table, base.snapshotId(), flush.storeId(), flush.backendId(), events.get(0).seqNum());
    int from = 0;
    while (from < events.size() && events.get(from).seqNum() <= held) {
      from++;
    }
    if (from == events.size()) {
      return new EventFlushResult(flush.flushId(), flush.upToSeqNum(), 0, from, 0, 0);
    }
    List<StoredEvent> missing = events.subList(from, events.size());
    List<DataFile> files = write(table, flush, missing);
    OverwriteFiles commit = table.newOverwrite();
    files.forEach(commit::addFile);
    if (base != null) {
      commit.validateFromSnapshot(base.snapshotId());
    }
    try {
      commit.conflictDetectionFilter(Expressions.equal(STORE_ID, flush.storeId()))
          .validateNoConflictingData()
          .set(SUMMARY_STORE, flush.storeId())
          .set(SUMMARY_BACKEND, flush.backendId())
          .set(SUMMARY_FLUSH, Long.toString(flush.flushId()))
          .set(SUMMARY_MIN_SEQ, Long.toString(missing.get(0).seqNum()))
          .set(SUMMARY_MAX_SEQ, Long.toString(flush.upToSeqNum()))
          .commit();
    } catch (CommitStateUnknownException unknown) {
      throw unknown; // the files may be committed: keep them, the retry's check will tell
    } catch (RuntimeException failed) {
      files.forEach(file -> deleteQuietly(file.location()));
      throw failed;
    }
    long bytes = files.stream().mapToLong(DataFile::fileSizeInBytes).sum();
    return new EventFlushResult(flush.flushId(), flush.upToSeqNum(), missing.size(), from,
        table.currentSnapshot().snapshotId(), bytes);
  }

  /** One data file per partition (day) the events span, named after the flush; one record per event. */
  private List<DataFile> write(Table table, EventFlush flush, List<StoredEvent> events) throws IOException {
    List<Record> records = new ArrayList<>(events.size());
    for (StoredEvent event : events) {
      records.add(EventRecords.toRecord(table.schema(), flush.storeId(), flush.backendId(), event));
    }
    List<DataFile> files = new ArrayList<>();
    for (Map.Entry<StructLike, List<Record>> partition : ParquetData.byPartition(table, records).entrySet()) {
      List<Record> rows = partition.getValue();
      // A random part: a stale attempt of the same flush never overwrites a committed file.
      String name = String.format("%d-%d-%d-%s.parquet", flush.flushId(), rows.get(0).getField(SEQ_NUM),
          rows.get(rows.size() - 1).getField(SEQ_NUM), UUID.randomUUID());
      String location = table.locationProvider().newDataLocation(table.spec(), partition.getKey(), name);
      files.add(ParquetData.write(table, io.newOutputFile(location), partition.getKey(), rows));
    }
    return files;
  }

  @Override
  public List<StoredEvent> read(String storeId, String backendId, long afterSeqNum, int limit) throws IOException {
    Table table = limit <= 0 ? null : catalogue.existing(TABLE).orElse(null);
    if (table == null || table.currentSnapshot() == null) {
      return List.of();
    }
    List<StoredEvent> found = new ArrayList<>();
    for (DataFile file : files(table, table.currentSnapshot().snapshotId(), storeId, afterSeqNum)) {
      if (found.size() == limit && lowestSeqNum(file) > found.get(limit - 1).seqNum()) {
        break; // files come in order of their lowest seqNum: this one and all later ones are past the page
      }
      readFile(table, file, storeId, backendId, afterSeqNum, found);
      found.sort(BY_SEQ_NUM);
      if (found.size() > limit) {
        found.subList(limit, found.size()).clear();
      }
    }
    return found;
  }

  /** The highest seqNum at or above {@code fromSeqNum} the lake holds for the store, else MIN_VALUE. */
  private long highestSeqNum(Table table, long snapshotId, String storeId, String backendId, long fromSeqNum)
      throws IOException {
    List<StoredEvent> held = new ArrayList<>();
    for (DataFile file : files(table, snapshotId, storeId, fromSeqNum - 1)) {
      readFile(table, file, storeId, backendId, fromSeqNum - 1, held);
    }
    return held.stream().mapToLong(StoredEvent::seqNum).max().orElse(Long.MIN_VALUE);
  }

  /** The data files that may hold the store's events above {@code afterSeqNum}, by their lowest seqNum. */
  private static List<DataFile> files(Table table, long snapshotId, String storeId, long afterSeqNum) throws IOException {
    Expression filter = Expressions.and(Expressions.equal(STORE_ID, storeId), Expressions.greaterThan(SEQ_NUM, afterSeqNum));
    List<DataFile> files = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshotId).filter(filter)
        .includeColumnStats().planFiles()) {
      tasks.forEach(task -> files.add(task.file()));
    }
    files.sort(Comparator.comparingLong(IcebergEventLog::lowestSeqNum));
    return files;
  }

  private static long lowestSeqNum(DataFile file) {
    return ParquetData.lowerBound(file, SEQ_NUM_FIELD, Long.MIN_VALUE);
  }

  private void readFile(Table table, DataFile file, String storeId, String backendId, long afterSeqNum,
                        List<StoredEvent> into) throws IOException {
    Expression filter = Expressions.and(Expressions.equal(STORE_ID, storeId), Expressions.greaterThan(SEQ_NUM, afterSeqNum));
    try (CloseableIterable<Record> records = ParquetData.read(io.newInputFile(file.location()), table.schema(), filter)) {
      for (Record record : records) {
        if (storeId.equals(record.getField(STORE_ID)) && backendId.equals(record.getField(BACKEND_ID))
            && (Long) record.getField(SEQ_NUM) > afterSeqNum) {
          into.add(EventRecords.fromRecord(record));
        }
      }
    }
  }

  /**
   * The table, created on first use. storeId metrics are kept whole (Iceberg truncates strings
   * to 16 characters by default), so stores sharing a prefix never look alike to reads and to
   * the commit's conflict check.
   */
  private Table table() {
    return catalogue.table(TABLE, EventRecords.SCHEMA, EventRecords.partitionSpec(settings.storeBuckets()), Map.of(
        TableProperties.FORMAT_VERSION, "2",
        TableProperties.PARQUET_COMPRESSION, "snappy",
        TableProperties.METRICS_MODE_COLUMN_CONF_PREFIX + STORE_ID, "full",
        TableProperties.COMMIT_NUM_RETRIES, Integer.toString(settings.commitRetries())));
  }

  private void deleteQuietly(String location) {
    try {
      io.deleteFile(location);
    } catch (UncheckedIOException | IllegalArgumentException ignored) {
      // An orphan file costs space only: no snapshot refers to it.
    }
  }
}
