package io.lakeshard.core.catalogue;

import io.lakeshard.core.lake.LocalLakeAdapter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default: Iceberg's JdbcCatalog on an H2 file, files in a local lake directory. */
class JdbcEventLogTest extends EventLogLakeContract {
  @TempDir Path dir;
  private IcebergCatalogue catalogue;
  private IcebergEventLog log;

  @BeforeEach
  void open() {
    catalogue = IcebergCatalogue.jdbc("jdbc:h2:file:" + dir.resolve("catalogue") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "",
        new LocalLakeAdapter(dir.resolve("lake")));
    log = new IcebergEventLog(catalogue, new IcebergEventLog.Settings(16, 10));
  }

  @AfterEach
  void close() throws Exception {
    catalogue.close();
  }

  @Override
  protected IcebergEventLog log() {
    return log;
  }

  @Override
  protected IcebergCatalogue catalogue() {
    return catalogue;
  }
}
