package io.lakeshard.adapter.r2;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Nessie catalogue server (nessie-quarkus runner jar, in-memory version store) on
 * 127.0.0.1, for tests. Shared with other modules through adapter-r2's test-jar; they must copy
 * {@code target/servers/nessie.jar} too. Nessie 0.60.1 is the newest served release that runs on
 * Java 17; it takes about 4 s to become ready and about 230 MB of RSS.
 */
public final class NessieServer implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final String baseUrl;

  private NessieServer(Process process, String baseUrl) {
    this.process = process;
    this.baseUrl = baseUrl;
  }

  public static NessieServer start(Path workDir) throws IOException, InterruptedException {
    Path jar = Path.of("target", "servers", "nessie.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: the build copies it in generate-test-resources");
    }
    int httpPort;
    int managementPort;
    // Both sockets open at once, so the two ports differ.
    try (ServerSocket http = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
         ServerSocket management = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      httpPort = http.getLocalPort();
      managementPort = management.getLocalPort();
    }
    String baseUrl = "http://127.0.0.1:" + httpPort;
    Path log = workDir.resolve("nessie.log");
    Process process = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m",
        "-Dnessie.version.store.type=IN_MEMORY",
        "-Dquarkus.http.host=127.0.0.1",
        "-Dquarkus.http.port=" + httpPort,
        // Nessie 0.60.1 (Quarkus 2.16) has no management interface and logs these two keys and
        // quarkus.otel.* as unrecognized; newer Nessie would otherwise bind 0.0.0.0:9000.
        "-Dquarkus.management.host=127.0.0.1",
        "-Dquarkus.management.port=" + managementPort,
        "-Dquarkus.otel.sdk.disabled=true",
        // Authentication is off; this only stops OIDC probing its placeholder server at startup.
        "-Dquarkus.oidc.tenant-enabled=false",
        "-jar", jar.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    NessieServer server = new NessieServer(process, baseUrl);
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest config = HttpRequest.newBuilder(URI.create(server.uri() + "/config"))
        .timeout(Duration.ofSeconds(2))
        .build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("Nessie exited (" + process.exitValue() + "): see " + log);
        }
        try {
          if (client.send(config, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return server;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(100); // polling a child process's HTTP port; nothing to await on
      }
    } catch (RuntimeException | InterruptedException e) {
      server.close();
      throw e;
    }
    server.close();
    throw new IllegalStateException("Nessie did not answer on " + baseUrl + " within "
        + READY_TIMEOUT.toSeconds() + " s: see " + log);
  }

  /** The Nessie REST API v2 base, {@code http://127.0.0.1:<port>/api/v2}: Iceberg's NessieCatalog {@code uri}. */
  public String uri() {
    return baseUrl + "/api/v2";
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
