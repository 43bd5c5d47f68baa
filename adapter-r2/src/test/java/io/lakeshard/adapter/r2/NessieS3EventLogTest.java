package io.lakeshard.adapter.r2;

import io.lakeshard.core.catalogue.EventLogLakeContract;
import io.lakeshard.core.catalogue.IcebergCatalogue;
import io.lakeshard.core.catalogue.IcebergEventLog;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Production mode for LiveStore's event log: a real Nessie server, files on a real S3 server. */
class NessieS3EventLogTest extends EventLogLakeContract {
  private static S3ProxyServer s3;
  private static NessieServer nessie;
  private static IcebergCatalogue catalogue;
  private static IcebergEventLog log;

  @BeforeAll
  static void startServers() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "nessie-s3-events"));
    s3 = S3ProxyServer.start(dir);
    nessie = NessieServer.start(dir);
    S3LakeAdapter adapter = new S3LakeAdapter(
        new S3Settings(s3.endpoint(), "us-east-1", "warehouse", S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
    adapter.ensureBucket();
    catalogue = IcebergCatalogue.nessie(nessie.uri(), "main", adapter);
    log = new IcebergEventLog(catalogue, new IcebergEventLog.Settings(16, 10));
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (catalogue != null) {
      catalogue.close();
    }
    if (nessie != null) {
      nessie.close();
    }
    if (s3 != null) {
      s3.close();
    }
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
