package io.lakeshard.core.catalogue;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.flush.FlushResult.DataFileWritten;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeFileIO;
import io.lakeshard.core.schema.LakeColumns;
import io.lakeshard.core.schema.TableSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.UpdateProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.LocationProvider;
import org.apache.iceberg.metrics.CommitReport;
import org.apache.iceberg.metrics.CounterResult;
import org.apache.iceberg.metrics.InMemoryMetricsReporter;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * Flushed deltas as Iceberg tables in namespace {@code lakesync}, one per user table, in the
 * node's {@link IcebergCatalogue}. Each flush is one append per table whose snapshot
 * summary names the gateway, the flush sequence and its stamp range: that is how a retried
 * flush finds out it already committed, and how pulls find a gateway's files.
 */
public final class IcebergLake implements GatewayLake, AutoCloseable {
  public static final Namespace NAMESPACE = Namespace.of("lakesync");
  public static final String SUMMARY_GATEWAY = "lakeshard.gateway-id";
  public static final String SUMMARY_SEQ = "lakeshard.flush-seq";
  public static final String SUMMARY_MIN_STAMP = "lakeshard.min-stamp";
  public static final String SUMMARY_MAX_STAMP = "lakeshard.max-stamp";
  static final Map<String, String> COMMIT_RETRIES = Map.of(
      TableProperties.COMMIT_NUM_RETRIES, "100",
      TableProperties.COMMIT_MIN_RETRY_WAIT_MS, "5",
      TableProperties.COMMIT_MAX_RETRY_WAIT_MS, "500");

  /** Flushes whose data files pulls keep at hand (a few hundred bytes each, with their column bounds). */
  private static final int FLUSHES_CACHED = 4096;

  private final IcebergCatalogue catalogue;
  private final Catalog catalog;
  private final LakeFileIO io;
  /** A flush's data files by table and snapshot: a snapshot never changes, so pulls read its manifest once. */
  private final Map<FlushFiles, List<DataFile>> flushFiles = Collections.synchronizedMap(
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<FlushFiles, List<DataFile>> eldest) {
          return size() > FLUSHES_CACHED;
        }
      });

  private record FlushFiles(String table, long snapshotId) {}

  public IcebergLake(IcebergCatalogue catalogue) {
    this.catalogue = catalogue;
    this.catalog = catalogue.catalog();
    this.io = catalogue.io();
  }

  /** The embedded default: Iceberg's JdbcCatalog on a local database, files in the lake. */
  public static IcebergLake jdbc(String jdbcUrl, String user, String password, LakeAdapter lake) {
    return new IcebergLake(IcebergCatalogue.jdbc(jdbcUrl, user, password, lake));
  }

  /** Production: Iceberg's NessieCatalog on branch {@code ref} of the Nessie server at {@code uri} (…/api/v2). */
  public static IcebergLake nessie(String uri, String ref, LakeAdapter lake) {
    return new IcebergLake(IcebergCatalogue.nessie(uri, ref, lake));
  }

  /** The catalogue this lake commits to, for the node's other table families. */
  public IcebergCatalogue catalogue() {
    return catalogue;
  }

  public Catalog catalog() {
    return catalog;
  }

  @Override
  public FlushResult flush(FlushPlan plan) throws IOException {
    Map<String, List<Accepted>> byTable = new LinkedHashMap<>();
    for (Accepted accepted : plan.deltas()) {
      byTable.computeIfAbsent(accepted.delta().table(), table -> new ArrayList<>()).add(accepted);
    }
    List<DataFileWritten> files = new ArrayList<>();
    int commitRetries = 0;
    for (Map.Entry<String, List<Accepted>> entry : byTable.entrySet()) {
      TableSchema registered = plan.schemas().get(entry.getKey());
      Table table = tableFor(entry.getKey(), registered);
      Optional<Snapshot> earlier = committed(table, plan.gatewayId(), plan.seq());
      if (earlier.isPresent()) {
        files.addAll(describe(table, earlier.get()));
      } else {
        Appended appended = append(table, plan, entry.getValue(), registered);
        files.addAll(appended.files());
        commitRetries += appended.commitRetries();
      }
    }
    return new FlushResult(plan.seq(), plan.upTo(), files, commitRetries);
  }

  /** What one table's append committed, and how many of its commit attempts lost a race and were retried. */
  private record Appended(List<DataFileWritten> files, int commitRetries) {}

  /**
   * One record per delta, one file per day, one commit. The result comes from the files just
   * written and the commit's own report (snapshot id, attempts), not from reading the table back:
   * after the commit the table may already hold other gateways' later snapshots.
   */
  private Appended append(Table table, FlushPlan plan, List<Accepted> deltas, TableSchema registered)
      throws IOException {
    Record empty = GenericRecord.create(table.schema());
    List<Record> records = new ArrayList<>(deltas.size());
    for (Accepted accepted : deltas) {
      records.add(DeltaRecords.toRecord(empty, accepted, registered));
    }
    InMemoryMetricsReporter report = new InMemoryMetricsReporter();
    AppendFiles append = new BaseTable(((HasTableOperations) table).operations(), table.name(), report).newAppend();
    LocationProvider locations = table.locationProvider();
    List<DataFile> written = new ArrayList<>();
    for (Map.Entry<StructLike, List<Record>> day : ParquetData.byPartition(table, records).entrySet()) {
      List<Record> rows = day.getValue();
      String fileName = String.format("%s-%d-%d-%d.parquet", plan.gatewayId(), plan.seq(),
          stamp(rows.get(0)), stamp(rows.get(rows.size() - 1)));
      DataFile file = ParquetData.write(table, io.newOutputFile(locations.newDataLocation(table.spec(), day.getKey(), fileName)),
          day.getKey(), rows);
      append.appendFile(file);
      written.add(file);
    }
    append.set(SUMMARY_GATEWAY, plan.gatewayId())
        .set(SUMMARY_SEQ, Long.toString(plan.seq()))
        .set(SUMMARY_MIN_STAMP, Long.toString(deltas.get(0).stamp()))
        .set(SUMMARY_MAX_STAMP, Long.toString(deltas.get(deltas.size() - 1).stamp()))
        .commit();
    // Reported synchronously by commit(); were it ever missing, the flush fails and its retry finds the snapshot.
    CommitReport commit = Objects.requireNonNull(report.commitReport(), "the commit reported nothing");
    List<DataFileWritten> files = new ArrayList<>();
    for (DataFile file : written) {
      files.add(new DataFileWritten(table.name(), file.location(), file.recordCount(), file.fileSizeInBytes(),
          commit.snapshotId(), false));
    }
    CounterResult attempts = commit.commitMetrics().attempts();
    return new Appended(files, attempts == null ? 0 : (int) attempts.value() - 1);
  }

  private static long stamp(Record record) {
    return (Long) record.getField(LakeColumns.STAMP);
  }

  /** The files of an earlier attempt's snapshot (rare: a retry after a crash or an unknown commit state). */
  private List<DataFileWritten> describe(Table table, Snapshot snapshot) {
    List<DataFileWritten> files = new ArrayList<>();
    for (DataFile file : addedFiles(table, snapshot)) {
      files.add(new DataFileWritten(table.name(), file.location(), file.recordCount(), file.fileSizeInBytes(),
          snapshot.snapshotId(), true));
    }
    return files;
  }

  private static Iterable<DataFile> addedFiles(Table table, Snapshot snapshot) {
    return SnapshotChanges.builderFor(table).snapshot(snapshot).build().addedDataFiles();
  }

  /**
   * The snapshot of flush {@code seq} of this gateway, if the table has it. Walking back from the
   * current snapshot, the first snapshot of this gateway is its latest flush: it either is
   * {@code seq} or an earlier one (flushes commit in sequence order).
   */
  private static Optional<Snapshot> committed(Table table, String gatewayId, long seq) {
    if (table.currentSnapshot() == null) {
      return Optional.empty();
    }
    for (Snapshot snapshot : SnapshotUtil.ancestorsOf(table.currentSnapshot().snapshotId(), table::snapshot)) {
      if (gatewayId.equals(snapshot.summary().get(SUMMARY_GATEWAY))) {
        return Long.parseLong(snapshot.summary().get(SUMMARY_SEQ)) == seq ? Optional.of(snapshot) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * The table, created on first use, with the columns the registered schema added since and the
   * commit retries it needs. Many gateways append to one table, each commit racing the others':
   * a lost race costs only a new manifest list, so Iceberg retries it at once and often (5 ms
   * doubling to 500 ms, 100 times) rather than failing the flush into the gateway's own backoff
   * (Iceberg's default: 4 retries from 100 ms). Tables made before get them on their next flush.
   */
  private Table tableFor(String name, TableSchema registered) {
    Schema wanted = DeltaRecords.icebergSchema(registered);
    Map<String, String> properties = new HashMap<>(COMMIT_RETRIES);
    properties.put(TableProperties.FORMAT_VERSION, "2");
    properties.put(TableProperties.PARQUET_COMPRESSION, "snappy");
    Table table = catalogue.table(TableIdentifier.of(NAMESPACE, name), wanted, DeltaRecords.partitionSpec(wanted), properties);
    boolean missingColumns = wanted.columns().stream().anyMatch(field -> table.schema().findField(field.name()) == null);
    if (missingColumns) {
      table.updateSchema().unionByNameWith(wanted).commit();
    }
    Map<String, String> unset = new HashMap<>(COMMIT_RETRIES);
    unset.keySet().removeAll(table.properties().keySet()); // a value someone set on purpose stays
    if (!unset.isEmpty()) {
      UpdateProperties update = table.updateProperties();
      unset.forEach(update::set);
      update.commit();
    }
    return table;
  }

  /**
   * Reads flush by flush, oldest first, and stops once a page is full: every stamp of flush
   * {@code n} is below every stamp of flush {@code n + 1}, so later flushes cannot come earlier.
   * Only the snapshots' summaries are walked to find the flushes; a flush's manifests are read
   * when its turn comes, its files skipped by their stamp bounds, and each file (written in stamp
   * order) decoded only up to the rows the page still needs.
   */
  @Override
  public List<Accepted> read(String gatewayId, Collection<String> tables, long since, long upTo, int limit)
      throws IOException {
    SortedMap<Long, List<TableSnapshot>> byFlush = new TreeMap<>();
    for (String name : tables) {
      catalogue.existing(TableIdentifier.of(NAMESPACE, name))
          .ifPresent(table -> collectFlushes(table, gatewayId, since, upTo, byFlush));
    }
    List<Accepted> found = new ArrayList<>();
    for (List<TableSnapshot> flush : byFlush.values()) {
      int wanted = limit + 1 - found.size();
      for (TableSnapshot flushed : flush) {
        int stampField = flushed.table().schema().findField(LakeColumns.STAMP).fieldId();
        for (DataFile file : filesOf(flushed)) {
          if (ParquetData.upperBound(file, stampField, Long.MAX_VALUE) > since
              && ParquetData.lowerBound(file, stampField, Long.MIN_VALUE) <= upTo) {
            readFile(flushed.table(), file, since, upTo, wanted, found);
          }
        }
      }
      if (found.size() > limit) {
        break;
      }
    }
    found.sort(Comparator.comparingLong(Accepted::stamp));
    return found.size() > limit + 1 ? List.copyOf(found.subList(0, limit + 1)) : found;
  }

  private record TableSnapshot(Table table, Snapshot snapshot) {}

  /** Read outside the map's lock: two pulls may both read a manifest once, neither waits on the other's I/O. */
  private List<DataFile> filesOf(TableSnapshot flushed) {
    FlushFiles key = new FlushFiles(flushed.table().name(), flushed.snapshot().snapshotId());
    List<DataFile> files = flushFiles.get(key);
    if (files == null) {
      List<DataFile> read = new ArrayList<>();
      addedFiles(flushed.table(), flushed.snapshot()).forEach(read::add);
      files = List.copyOf(read);
      flushFiles.put(key, files);
    }
    return files;
  }

  /** Adds the file's first {@code wanted} rows stamped in (since, upTo] to {@code into}. */
  private void readFile(Table table, DataFile file, long since, long upTo, int wanted, List<Accepted> into)
      throws IOException {
    Schema schema = table.schema();
    int added = 0;
    try (CloseableIterable<Record> records = ParquetData.read(io.newInputFile(file.location()), schema,
        Expressions.and(Expressions.greaterThan(LakeColumns.STAMP, since), Expressions.lessThanOrEqual(LakeColumns.STAMP, upTo)))) {
      for (Record record : records) {
        long stamp = stamp(record);
        if (stamp > upTo) {
          break; // the file is in stamp order: the rest is later still
        }
        if (stamp > since) {
          into.add(DeltaRecords.fromRecord(record));
          if (++added == wanted) {
            break;
          }
        }
      }
    }
  }

  /** The gateway's flushes of {@code table} that may hold stamps in (since, upTo], by flush sequence. */
  private static void collectFlushes(Table table, String gatewayId, long since, long upTo,
                                     SortedMap<Long, List<TableSnapshot>> byFlush) {
    if (table.currentSnapshot() == null) {
      return;
    }
    for (Snapshot snapshot : SnapshotUtil.ancestorsOf(table.currentSnapshot().snapshotId(), table::snapshot)) {
      Map<String, String> summary = snapshot.summary();
      if (!gatewayId.equals(summary.get(SUMMARY_GATEWAY))) {
        continue;
      }
      if (Long.parseLong(summary.get(SUMMARY_MAX_STAMP)) <= since) {
        break; // earlier flushes hold earlier stamps
      }
      if (Long.parseLong(summary.get(SUMMARY_MIN_STAMP)) <= upTo) {
        byFlush.computeIfAbsent(Long.parseLong(summary.get(SUMMARY_SEQ)), seq -> new ArrayList<>())
            .add(new TableSnapshot(table, snapshot));
      }
    }
  }

  @Override
  public void close() throws IOException {
    catalogue.close();
  }
}
