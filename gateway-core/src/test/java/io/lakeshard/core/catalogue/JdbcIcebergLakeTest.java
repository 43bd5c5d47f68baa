package io.lakeshard.core.catalogue;

import io.lakeshard.core.lake.LocalLakeAdapter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default: Iceberg's JdbcCatalog on an H2 file, files in a local lake directory. */
class JdbcIcebergLakeTest extends IcebergLakeContract {
  @TempDir Path dir;
  private IcebergLake lake;

  @BeforeEach
  void open() {
    lake = IcebergLake.jdbc("jdbc:h2:file:" + dir.resolve("catalogue") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "",
        new LocalLakeAdapter(dir.resolve("lake")));
  }

  @AfterEach
  void close() throws Exception {
    lake.close();
  }

  @Override
  protected IcebergLake lake() {
    return lake;
  }
}
