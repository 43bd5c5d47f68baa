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
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
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
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.jdbc.JdbcClientPool;
import org.apache.iceberg.nessie.NessieCatalog;
import org.apache.iceberg.nessie.NessieIcebergClient;
import org.apache.iceberg.util.SnapshotUtil;
import org.projectnessie.client.NessieClientBuilder;
import org.projectnessie.client.api.NessieApiV2;

/**
 * Flushed deltas as Iceberg tables in namespace {@code lakesync}, one per user table, through any
 * Iceberg catalogue (Nessie in production, JDBC on the embedded database by default) with data
 * and metadata on the {@link LakeAdapter}. Each flush is one append per table whose snapshot
 * summary names the gateway, the flush sequence and its stamp range: that is how a retried
 * flush finds out it already committed, and how pulls find a gateway's files.
 */
public final class IcebergLake implements GatewayLake, AutoCloseable {
  public static final Namespace NAMESPACE = Namespace.of("lakesync");
  public static final String SUMMARY_GATEWAY = "lakeshard.gateway-id";
  public static final String SUMMARY_SEQ = "lakeshard.flush-seq";
  public static final String SUMMARY_MIN_STAMP = "lakeshard.min-stamp";
  public static final String SUMMARY_MAX_STAMP = "lakeshard.max-stamp";
  private static final String CATALOGUE_NAME = "lakeshard";
  private static final String WAREHOUSE = "warehouse";

  private final Catalog catalog;
  private final LakeFileIO io;
  private volatile boolean namespaceReady;

  private IcebergLake(Catalog catalog, LakeFileIO io) {
    this.catalog = catalog;
    this.io = io;
  }

  /** The embedded default: Iceberg's JdbcCatalog on a local database, files in the lake. */
  public static IcebergLake jdbc(String jdbcUrl, String user, String password, LakeAdapter lake) {
    LakeFileIO io = new LakeFileIO(lake);
    JdbcCatalog catalog = new JdbcCatalog(properties -> io, properties -> new JdbcClientPool(jdbcUrl, properties), true);
    catalog.initialize(CATALOGUE_NAME, Map.of(
        "uri", jdbcUrl,
        "jdbc.user", user,
        "jdbc.password", password,
        "warehouse", io.location(WAREHOUSE)));
    return new IcebergLake(catalog, io);
  }

  /** Production: Iceberg's NessieCatalog on branch {@code ref} of the Nessie server at {@code uri} (…/api/v2). */
  public static IcebergLake nessie(String uri, String ref, LakeAdapter lake) {
    LakeFileIO io = new LakeFileIO(lake);
    NessieApiV2 api = NessieClientBuilder.createClientBuilderFromSystemSettings()
        .withUri(URI.create(uri))
        .build(NessieApiV2.class);
    Map<String, String> options = Map.of("uri", uri, "ref", ref, "warehouse", io.location(WAREHOUSE));
    NessieCatalog catalog = new NessieCatalog();
    catalog.initialize(CATALOGUE_NAME, new NessieIcebergClient(api, ref, null, options), io, options);
    return new IcebergLake(catalog, io);
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
      append.appendFile(ParquetDeltaWriter.write(table, io.newOutputFile(location), day.getKey(), rows, registered));
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
    TableIdentifier id = TableIdentifier.of(NAMESPACE, name);
    Schema wanted = DeltaRecords.icebergSchema(registered);
    if (!catalog.tableExists(id)) {
      ensureNamespace();
      try {
        return catalog.createTable(id, wanted, DeltaRecords.partitionSpec(wanted), Map.of(
            TableProperties.FORMAT_VERSION, "2",
            TableProperties.PARQUET_COMPRESSION, "snappy"));
      } catch (RuntimeException raced) {
        // Another gateway created it first (JdbcCatalog may report that as a failed INSERT, not
        // AlreadyExistsException): use theirs; anything else is a real failure.
        if (!catalog.tableExists(id)) {
          throw raced;
        }
      }
    }
    Table table = catalog.loadTable(id);
    boolean missingColumns = wanted.columns().stream().anyMatch(field -> table.schema().findField(field.name()) == null);
    if (missingColumns) {
      table.updateSchema().unionByNameWith(wanted).commit();
    }
    return table;
  }

  private void ensureNamespace() {
    if (namespaceReady) {
      return;
    }
    SupportsNamespaces namespaces = (SupportsNamespaces) catalog;
    if (!namespaces.namespaceExists(NAMESPACE)) {
      try {
        namespaces.createNamespace(NAMESPACE);
      } catch (RuntimeException raced) {
        // Created meanwhile by another gateway (JdbcCatalog: a failed INSERT) is fine.
        if (!namespaces.namespaceExists(NAMESPACE)) {
          throw raced;
        }
      }
    }
    namespaceReady = true;
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
      TableIdentifier id = TableIdentifier.of(NAMESPACE, name);
      if (catalog.tableExists(id)) {
        collectFiles(catalog.loadTable(id), gatewayId, since, upTo, byFlush);
      }
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
    try (CloseableIterable<Record> records = Parquet.read(io.newInputFile(file.location()))
        .project(schema)
        .filter(Expressions.and(Expressions.greaterThan(LakeColumns.STAMP, since),
            Expressions.lessThanOrEqual(LakeColumns.STAMP, upTo)))
        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema))
        .build()) {
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
    if (catalog instanceof Closeable closeable) {
      closeable.close();
    }
  }
}
