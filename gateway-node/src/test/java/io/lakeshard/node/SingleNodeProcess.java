package io.lakeshard.node;

import java.io.IOException;
import java.nio.file.Path;

/** A single node as its own JVM (so that a test can kill it with SIGKILL), on a data dir and an HTTP port of the test's. */
final class SingleNodeProcess {
  private SingleNodeProcess() {}

  /** The command and environment of such a node; the caller adds settings and redirects its output. */
  static ProcessBuilder builder(Path dataDir, int httpPort) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName());
    builder.environment().put("LAKESHARD_DATA_DIR", dataDir.toString());
    builder.environment().put("LAKESHARD_HTTP_PORT", Integer.toString(httpPort));
    builder.environment().put("LAKESHARD_REMOTE_PORT", "0");
    builder.environment().put("LAKESHARD_MANAGEMENT_PORT", Integer.toString(FreePorts.next()));
    builder.environment().put("LAKESHARD_JWT_SECRET", TestNode.SECRET);
    return builder;
  }
}
