package io.lakeshard.adapter.r2;

import io.lakeshard.core.catalogue.IcebergLake;
import io.lakeshard.core.catalogue.IcebergLakeContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Production mode: Iceberg's NessieCatalog on a real Nessie server, files on a real S3 server. */
class NessieS3IcebergLakeTest extends IcebergLakeContract {
  private static S3ProxyServer s3;
  private static NessieServer nessie;
  private static IcebergLake lake;

  @BeforeAll
  static void startServers() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "nessie-s3"));
    s3 = S3ProxyServer.start(dir);
    nessie = NessieServer.start(dir);
    S3LakeAdapter adapter = new S3LakeAdapter(
        new S3Settings(s3.endpoint(), "us-east-1", "warehouse", S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
    adapter.ensureBucket();
    lake = IcebergLake.nessie(nessie.uri(), "main", adapter);
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (lake != null) {
      lake.close();
    }
    if (nessie != null) {
      nessie.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Override
  protected IcebergLake lake() {
    return lake;
  }
}
