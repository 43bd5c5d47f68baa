package io.lakeshard.adapter.r2;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeAdapterContract;
import io.lakeshard.core.lake.LakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The LakeAdapter contract against a real S3-compatible server; a fresh bucket per test. */
class S3LakeAdapterTest extends LakeAdapterContract {
  private static final AtomicInteger buckets = new AtomicInteger();
  private static S3ProxyServer server;
  private S3LakeAdapter adapter;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start(Files.createDirectories(Path.of("target", "s3proxy")));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void freshBucket() throws LakeException {
    adapter = new S3LakeAdapter(settings("lake-" + buckets.incrementAndGet(), S3ProxyServer.SECRET_KEY));
    adapter.ensureBucket();
  }

  private static S3Settings settings(String bucket, String secret) {
    return new S3Settings(server.endpoint, "us-east-1", bucket, S3ProxyServer.ACCESS_KEY, secret);
  }

  @Override
  protected LakeAdapter adapter() {
    return adapter;
  }

  @Test
  void aWrongSecretIsAPermanentFailure() {
    S3LakeAdapter wrong = new S3LakeAdapter(settings("lake-1", "not-the-secret"));
    assertThatThrownBy(() -> wrong.list("")).isInstanceOf(LakeException.Permanent.class);
  }

  @Test
  void aMissingBucketIsAPermanentFailure() {
    S3LakeAdapter missing = new S3LakeAdapter(settings("no-such-bucket", S3ProxyServer.SECRET_KEY));
    assertThatThrownBy(() -> missing.put("k", new byte[1], "text/plain")).isInstanceOf(LakeException.Permanent.class);
  }
}
