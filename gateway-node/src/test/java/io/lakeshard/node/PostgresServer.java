package io.lakeshard.node;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private PostgreSQL server on 127.0.0.1 for tests, from the Debian packages (scripts/test
 * installs them when missing): initdb into {@code dir}, pg_ctl start on a free port, one
 * database. As root, the server runs as the {@code postgres} user (initdb refuses root).
 */
final class PostgresServer implements AutoCloseable {
  static final String USER = "postgres";
  static final String DATABASE = "lakeshard";

  private final Path bin;
  private final Path data;
  private final int port;

  private PostgresServer(Path bin, Path data, int port) {
    this.bin = bin;
    this.data = data;
    this.port = port;
  }

  static PostgresServer start(Path dir) throws IOException, InterruptedException, SQLException {
    Path bin = findBin();
    Files.createDirectories(dir);
    Path data = dir.resolve("data");
    if (runningAsRoot()) {
      run(List.of("chown", "-R", USER + ":", dir.toString()), dir);
    }
    int port = FreePorts.next();
    run(asPostgres(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--auth=trust",
        "-E", "UTF8", "--no-sync"), dir);
    run(asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
        "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir, "-w", "-t", "60", "start"), dir);
    PostgresServer server = new PostgresServer(bin, data, port);
    try (Connection connection = DriverManager.getConnection(
            "jdbc:postgresql://127.0.0.1:" + port + "/postgres", USER, "");
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + DATABASE);
    }
    return server;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  /** The newest installed server: /usr/lib/postgresql/{version}/bin. */
  private static Path findBin() {
    File[] versions = new File("/usr/lib/postgresql").listFiles(file -> new File(file, "bin/initdb").canExecute());
    if (versions == null || versions.length == 0) {
      throw new IllegalStateException("no PostgreSQL server under /usr/lib/postgresql: scripts/test installs "
          + "the Debian package postgresql (apt-get install -y postgresql)");
    }
    return Arrays.stream(versions)
        .max(Comparator.comparingInt(file -> Integer.parseInt(file.getName().replaceAll("\\D", "0"))))
        .orElseThrow().toPath().resolve("bin");
  }

  private static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static List<String> asPostgres(String... command) {
    List<String> full = new ArrayList<>();
    if (runningAsRoot()) {
      full.addAll(List.of("runuser", "-u", USER, "--"));
    }
    full.addAll(List.of(command));
    return full;
  }

  private static void run(List<String> command, Path dir) throws IOException, InterruptedException {
    Path log = dir.resolve("commands.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " did not finish in 90 s; see " + log);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
          + Files.readString(log));
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    run(asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"),
        data.getParent());
  }
}
