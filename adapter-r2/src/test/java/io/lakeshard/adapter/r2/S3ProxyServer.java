package io.lakeshard.adapter.r2;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real S3-compatible server (S3Proxy, in-memory store) on 127.0.0.1, for tests. Shared with other
 * modules through adapter-r2's test-jar; they must copy {@code target/servers/s3proxy.jar} too.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "lakeshard";
  public static final String SECRET_KEY = "lakeshard-secret";

  private final Process process;
  public final String endpoint;

  private S3ProxyServer(Process process, String endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  public static S3ProxyServer start(Path workDir) throws IOException, InterruptedException {
    Path jar = Path.of("target", "servers", "s3proxy.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: the build copies it in generate-test-resources");
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;
    Path properties = workDir.resolve("s3proxy.conf");
    Files.writeString(properties, String.join("\n",
        "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=transient",
        ""));
    Process process = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-jar", jar.toString(), "--properties", properties.toString())
        .redirectErrorStream(true)
        .redirectOutput(workDir.resolve("s3proxy.log").toFile())
        .start();
    S3ProxyServer server = new S3ProxyServer(process, endpoint);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("S3Proxy exited: see " + workDir.resolve("s3proxy.log"));
      }
      try {
        new Socket(InetAddress.getLoopbackAddress(), port).close();
        return server;
      } catch (IOException notYet) {
        Thread.sleep(50); // polling a child process's port; nothing to await on
      }
    }
    server.close();
    throw new IllegalStateException("S3Proxy did not listen on " + endpoint + " within 30 s");
  }

  /** The S3 endpoint, {@code http://127.0.0.1:<port>} (path-style, region us-east-1). */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
