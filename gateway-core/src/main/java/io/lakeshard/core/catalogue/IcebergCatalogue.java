package io.lakeshard.core.catalogue;

import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeFileIO;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StaticTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.jdbc.JdbcClientPool;
import org.apache.iceberg.nessie.NessieCatalog;
import org.apache.iceberg.nessie.NessieIcebergClient;
import org.projectnessie.client.NessieClientBuilder;
import org.projectnessie.client.api.NessieApiV2;

/**
 * One Iceberg catalogue (Nessie in production, JDBC on the embedded database by default) with
 * data and metadata on the {@link LakeAdapter}, shared by every table family of a node: the
 * gateways' {@link IcebergLake} and LiveStore's {@link IcebergEventLog}. Tables and namespaces
 * are created on first use by whichever entity gets there first; the others use theirs.
 */
public final class IcebergCatalogue implements AutoCloseable {
  private static final String CATALOGUE_NAME = "lakeshard";
  private static final String WAREHOUSE = "warehouse";

  private final Catalog catalog;
  private final LakeFileIO io;
  private final Set<Namespace> namespacesReady = ConcurrentHashMap.newKeySet();
  /** Tables loaded for reads, refreshed on each use (see {@link #existing}). */
  private final Map<TableIdentifier, Table> readers = new ConcurrentHashMap<>();

  private IcebergCatalogue(Catalog catalog, LakeFileIO io) {
    this.catalog = catalog;
    this.io = io;
  }

  /** The embedded default: Iceberg's JdbcCatalog on a local database, files in the lake. */
  public static IcebergCatalogue jdbc(String jdbcUrl, String user, String password, LakeAdapter lake) {
    LakeFileIO io = new LakeFileIO(lake);
    JdbcCatalog catalog = new JdbcCatalog(properties -> io, properties -> new JdbcClientPool(jdbcUrl, properties), true);
    catalog.initialize(CATALOGUE_NAME, Map.of(
        "uri", jdbcUrl,
        "jdbc.user", user,
        "jdbc.password", password,
        "warehouse", io.location(WAREHOUSE)));
    return new IcebergCatalogue(catalog, io);
  }

  /** Production: Iceberg's NessieCatalog on branch {@code ref} of the Nessie server at {@code uri} (…/api/v2). */
  public static IcebergCatalogue nessie(String uri, String ref, LakeAdapter lake) {
    LakeFileIO io = new LakeFileIO(lake);
    NessieApiV2 api = NessieClientBuilder.createClientBuilderFromSystemSettings()
        .withUri(URI.create(uri))
        .build(NessieApiV2.class);
    Map<String, String> options = Map.of("uri", uri, "ref", ref, "warehouse", io.location(WAREHOUSE));
    NessieCatalog catalog = new NessieCatalog();
    catalog.initialize(CATALOGUE_NAME, new NessieIcebergClient(api, ref, null, options), io, options);
    return new IcebergCatalogue(catalog, io);
  }

  public Catalog catalog() {
    return catalog;
  }

  public LakeFileIO io() {
    return io;
  }

  /** The table {@code id}, created (with its namespace) if missing; an existing table is loaded as it is. */
  public Table table(TableIdentifier id, Schema schema, PartitionSpec spec, Map<String, String> properties) {
    try {
      return catalog.loadTable(id); // one catalogue round trip on every call but the first
    } catch (NoSuchTableException missing) {
      ensureNamespace(id.namespace());
      try {
        return catalog.createTable(id, schema, spec, properties);
      } catch (RuntimeException raced) {
        // Another entity created it first (JdbcCatalog may report that as a failed INSERT, not
        // AlreadyExistsException): use theirs; anything else is a real failure.
        if (!catalog.tableExists(id)) {
          throw raced;
        }
        return catalog.loadTable(id);
      }
    }
  }

  /**
   * The table {@code id} as the catalogue has it now, if it exists, for reading: a fixed view of
   * its current metadata. One loaded table per identifier is kept and refreshed on each call,
   * which asks the catalogue for the metadata file's location and parses the file again only when
   * a commit changed it (a table of many flushes has a large one, and pulls read often).
   * Refreshes are serialized, so a slow one cannot bring back metadata older than another's.
   */
  public Optional<Table> existing(TableIdentifier id) {
    Table kept = readers.get(id);
    try {
      if (kept == null) {
        kept = readers.computeIfAbsent(id, catalog::loadTable);
      }
      TableMetadata current;
      synchronized (kept) {
        kept.refresh();
        current = ((HasTableOperations) kept).operations().current();
      }
      return Optional.of(new BaseTable(new StaticTableOperations(current, kept.io()), kept.name()));
    } catch (NoSuchTableException missing) {
      readers.remove(id);
      return Optional.empty();
    }
  }

  private void ensureNamespace(Namespace namespace) {
    if (namespacesReady.contains(namespace)) {
      return;
    }
    SupportsNamespaces namespaces = (SupportsNamespaces) catalog;
    if (!namespaces.namespaceExists(namespace)) {
      try {
        namespaces.createNamespace(namespace);
      } catch (RuntimeException raced) {
        // Created meanwhile by another entity (JdbcCatalog: a failed INSERT) is fine.
        if (!namespaces.namespaceExists(namespace)) {
          throw raced;
        }
      }
    }
    namespacesReady.add(namespace);
  }

  @Override
  public void close() throws IOException {
    if (catalog instanceof Closeable closeable) {
      closeable.close();
    }
  }
}
