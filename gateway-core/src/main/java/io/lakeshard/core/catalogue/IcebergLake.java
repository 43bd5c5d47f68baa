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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
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

  private final IcebergCatalogue catalogue;
  private final Catalog catalog;
  private final LakeFileIO io;

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
    for (Map.Entry<String, List<Accepted>> entry : byTable.entrySet()) {
      TableSchema registered = plan.schemas().get(entry.getKey());
      Table table = tableFor(entry.getKey(), registered);
      Optional<Snapshot> earlier = committed(table, plan.gatewayId(), plan.seq());
      if (earlier.isPresent()) {
        files.addAll(describe(table, earlier.get(), true));
      } else {
        files.addAll(append(table, plan, entry.getValue(), registered));
      }
    }
    return new FlushResult(plan.seq(), plan.upTo(), files);
  }

  private List<DataFileWritten> append(Table table, FlushPlan plan, List<Accepted> deltas, TableSchema registered)
      throws IOException {
    Schema schema = table.schema();
    PartitionKey key = new PartitionKey(table.spec(), schema);
    InternalRecordWrapper wrapper = new InternalRecordWrapper(schema.asStruct());
    Map<StructLike, List<Accepted>> byDay = new LinkedHashMap<>();
    for (Accepted accepted : deltas) {
      key.partition(wrapper.wrap(DeltaRecords.toRecord(schema, accepted, registered)));
      byDay.computeIfAbsent(key.copy(), day -> new ArrayList<>()).add(accepted);
    }
    AppendFiles append = table.newAppend();
    for (Map.Entry<StructLike, List<Accepted>> day : byDay.entrySet()) {
      List<Accepted> rows = day.getValue();
      String fileName = String.format("%s-%d-%d-%d.parquet", plan.gatewayId(), plan.seq(),
          rows.get(0).stamp(), rows.get(rows.size() - 1).stamp());
      String location = table.locationProvider().newDataLocation(table.spec(), day.getKey(), fileName);
      append.appendFile(ParquetData.write(table, io.newOutputFile(location), day.getKey(), rows,
          accepted -> DeltaRecords.toRecord(schema, accepted, registered)));
    }
    append.set(SUMMARY_GATEWAY, plan.gatewayId())
        .set(SUMMARY_SEQ, Long.toString(plan.seq()))
        .set(SUMMARY_MIN_STAMP, Long.toString(deltas.get(0).stamp()))
        .set(SUMMARY_MAX_STAMP, Long.toString(deltas.get(deltas.size() - 1).stamp()))
        .commit();
    return describe(table, table.currentSnapshot(), false);
  }

  private List<DataFileWritten> describe(Table table, Snapshot snapshot, boolean alreadyCommitted) {
    List<DataFileWritten> files = new ArrayList<>();
    for (DataFile file : addedFiles(table, snapshot)) {
      files.add(new DataFileWritten(table.name(), file.location(), file.recordCount(), file.fileSizeInBytes(),
          snapshot.snapshotId(), alreadyCommitted));
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

  /** The table, created on first use, with the columns the registered schema added since. */
  private Table tableFor(String name, TableSchema registered) {
    Schema wanted = DeltaRecords.icebergSchema(registered);
    Table table = catalogue.table(TableIdentifier.of(NAMESPACE, name), wanted, DeltaRecords.partitionSpec(wanted), Map.of(
        TableProperties.FORMAT_VERSION, "2",
        TableProperties.PARQUET_COMPRESSION, "snappy"));
    boolean missingColumns = wanted.columns().stream().anyMatch(field -> table.schema().findField(field.name()) == null);
    if (missingColumns) {
      table.updateSchema().unionByNameWith(wanted).commit();
    }
    return table;
  }

  /**
   * Reads flush by flush, oldest first, and stops once a page is full: every stamp of flush
   * {@code n} is below every stamp of flush {@code n + 1}, so later flushes cannot come earlier.
   */
  @Override
  public List<Accepted> read(String gatewayId, Collection<String> tables, long since, long upTo, int limit)
      throws IOException {
    SortedMap<Long, List<TableFile>> byFlush = new TreeMap<>();
    for (String name : tables) {
      catalogue.existing(TableIdentifier.of(NAMESPACE, name))
          .ifPresent(table -> collectFiles(table, gatewayId, since, upTo, byFlush));
    }
    List<Accepted> found = new ArrayList<>();
    for (List<TableFile> flush : byFlush.values()) {
      for (TableFile file : flush) {
        readFile(file.table(), file.file(), since, upTo, found);
      }
      if (found.size() > limit) {
        break;
      }
    }
    found.sort(Comparator.comparingLong(Accepted::stamp));
    return found.size() > limit + 1 ? List.copyOf(found.subList(0, limit + 1)) : found;
  }

  private record TableFile(Table table, DataFile file) {}

  private void readFile(Table table, DataFile file, long since, long upTo, List<Accepted> into) throws IOException {
    Schema schema = table.schema();
    try (CloseableIterable<Record> records = ParquetData.read(io.newInputFile(file.location()), schema,
        Expressions.and(Expressions.greaterThan(LakeColumns.STAMP, since), Expressions.lessThanOrEqual(LakeColumns.STAMP, upTo)))) {
      for (Record record : records) {
        Accepted accepted = DeltaRecords.fromRecord(record);
        if (accepted.stamp() > since && accepted.stamp() <= upTo) {
          into.add(accepted);
        }
      }
    }
  }

  /** The gateway's files in {@code table} that may hold stamps in (since, upTo], by flush sequence. */
  private static void collectFiles(Table table, String gatewayId, long since, long upTo,
                                   SortedMap<Long, List<TableFile>> byFlush) {
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
        List<TableFile> files = byFlush.computeIfAbsent(Long.parseLong(summary.get(SUMMARY_SEQ)), seq -> new ArrayList<>());
        addedFiles(table, snapshot).forEach(file -> files.add(new TableFile(table, file)));
      }
    }
  }

  @Override
  public void close() throws IOException {
    catalogue.close();
  }
}
