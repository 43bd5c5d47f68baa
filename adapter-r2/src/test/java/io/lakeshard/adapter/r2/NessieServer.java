package io.lakeshard.adapter.r2;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real Nessie catalogue server (nessie-quarkus runner jar, in-memory version store) on
 * 127.0.0.1, for tests. Shared with other modules through adapter-r2's test-jar; they must copy
 * {@code target/servers/nessie.jar} too. Nessie 0.60.1 is the newest served release that runs on
 * Java 17; it takes about 4 s to become ready and about 230 MB of RSS.
 */
public final class NessieServer implements AutoCloseable {
  private final ServerProcess process;

  private NessieServer(ServerProcess process) {
    this.process = process;
  }

  public static NessieServer start(Path workDir) throws IOException, InterruptedException {
    Path jar = ServerProcess.jar("nessie.jar");
    int[] ports = ServerProcess.freePorts(2);
    int httpPort = ports[0];
    int managementPort = ports[1];
    ServerProcess process = ServerProcess.start("Nessie", "http://127.0.0.1:" + httpPort,
        workDir.resolve("nessie.log"),
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
        "-jar", jar.toString());
    NessieServer server = new NessieServer(process);
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest config = HttpRequest.newBuilder(URI.create(server.uri() + "/config"))
        .timeout(Duration.ofSeconds(2))
        .build();
    process.awaitReady(Duration.ofSeconds(60),
        () -> client.send(config, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    return server;
  }

  /** The Nessie REST API v2 base, {@code http://127.0.0.1:<port>/api/v2}: Iceberg's NessieCatalog {@code uri}. */
  public String uri() {
    return process.endpoint() + "/api/v2";
  }

  @Override
  public void close() {
    process.close();
  }
}
