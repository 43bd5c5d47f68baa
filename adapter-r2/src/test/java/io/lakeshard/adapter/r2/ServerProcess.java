package io.lakeshard.adapter.r2;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server jar from {@code target/servers} run as a child JVM for tests, its output in a log: the
 * start, wait-until-ready and stop that {@link NessieServer} and {@link S3ProxyServer} share.
 */
final class ServerProcess implements AutoCloseable {
  /** Whether the server answers yet; an {@link IOException} means it does not listen yet. */
  @FunctionalInterface
  interface ReadyCheck {
    boolean ready() throws IOException, InterruptedException;
  }

  private final String name;
  private final String endpoint;
  private final Path log;
  private final Process process;

  private ServerProcess(String name, String endpoint, Path log, Process process) {
    this.name = name;
    this.endpoint = endpoint;
    this.log = log;
    this.process = process;
  }

  /** {@code target/servers/<fileName>}, which the build copies in generate-test-resources. */
  static Path jar(String fileName) {
    Path jar = Path.of("target", "servers", fileName).toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: the build copies it in generate-test-resources");
    }
    return jar;
  }

  /** {@code count} distinct free ports on the loopback: the sockets are open at once, so no two are the same. */
  static int[] freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /**
   * Runs {@code java <javaArgs>} from this JVM's Java home, stdout and stderr into {@code log}, for
   * a server that will listen at {@code endpoint}.
   */
  static ServerProcess start(String name, String endpoint, Path log, String... javaArgs) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(javaArgs));
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    return new ServerProcess(name, endpoint, log, process);
  }

  /** Where the server listens, {@code http://127.0.0.1:<port>}. */
  String endpoint() {
    return endpoint;
  }

  /**
   * Polls {@code check} until it says ready; if the server exits, or is not ready within
   * {@code timeout}, stops it and throws {@link IllegalStateException} naming its log.
   */
  void awaitReady(Duration timeout, ReadyCheck check) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException(name + " exited (" + process.exitValue() + "): see " + log);
        }
        try {
          if (check.ready()) {
            return;
          }
        } catch (IOException notYet) {
          // not listening yet
        }
        Thread.sleep(100); // polling a child process's port; nothing to await on
      }
    } catch (RuntimeException | InterruptedException e) {
      close();
      throw e;
    }
    close();
    throw new IllegalStateException(name + " did not answer on " + endpoint + " within "
        + timeout.toSeconds() + " s: see " + log);
  }

  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
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
