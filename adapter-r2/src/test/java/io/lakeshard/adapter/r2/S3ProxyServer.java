package io.lakeshard.adapter.r2;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real S3-compatible server (S3Proxy, in-memory store) on 127.0.0.1, for tests. Shared with other
 * modules through adapter-r2's test-jar; they must copy {@code target/servers/s3proxy.jar} too.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "lakeshard";
  public static final String SECRET_KEY = "lakeshard-secret";

  private final ServerProcess process;
  public final String endpoint;

  private S3ProxyServer(ServerProcess process) {
    this.process = process;
    this.endpoint = process.endpoint();
  }

  public static S3ProxyServer start(Path workDir) throws IOException, InterruptedException {
    Path jar = ServerProcess.jar("s3proxy.jar");
    int port = ServerProcess.freePorts(1)[0];
    String endpoint = "http://127.0.0.1:" + port;
    Path properties = workDir.resolve("s3proxy.conf");
    Files.writeString(properties, String.join("\n",
        "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=transient",
        ""));
    ServerProcess process = ServerProcess.start("S3Proxy", endpoint, workDir.resolve("s3proxy.log"),
        "-Xmx256m", "-jar", jar.toString(), "--properties", properties.toString());
    process.awaitReady(Duration.ofSeconds(30), () -> {
      new Socket(InetAddress.getLoopbackAddress(), port).close();
      return true;
    });
    return new S3ProxyServer(process);
  }

  /** The S3 endpoint, {@code http://127.0.0.1:<port>} (path-style, region us-east-1). */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    process.close();
  }
}
