package io.lakeshard.node.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the events of the JDBC journal (pekko-persistence-jdbc's {@code event_journal}, the
 * embedded H2 file before the segment journal) into a new segment directory, once: the segments
 * are built in a staging directory and renamed into place when complete, so the directory's
 * existence marks the migration done (a crash midway leaves only the staging directory, and the
 * next start copies again). Rows the JDBC journal keeps marked deleted (it keeps the highest one
 * so that the sequence number survives) are copied and deleted again, which keeps the highest
 * sequence number. The JDBC tables are left as they were.
 */
final class JdbcJournalMigration {
  private static final Logger log = LoggerFactory.getLogger(JdbcJournalMigration.class);
  private static final String TABLE = "event_journal";
  private static final String ROWS = "select \"persistence_id\", \"sequence_number\", \"deleted\", \"writer\", "
      + "\"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\" "
      + "from \"" + TABLE + "\" order by \"persistence_id\", \"sequence_number\"";
  /** Appends in flight before the copy waits for them. */
  private static final int WINDOW = 4096;

  private JdbcJournalMigration() {}

  /** Copies the events over unless the segment directory exists already (or there is no JDBC journal to copy from). */
  static void runIfNeeded(SegmentJournalSettings settings) throws IOException {
    if (settings.migrateFrom().isEmpty() || Files.exists(settings.dir())) {
      return;
    }
    SegmentJournalSettings.JdbcSource source = settings.migrateFrom().get();
    Path staging = settings.dir().resolveSibling(settings.dir().getFileName() + ".migrating");
    deleteRecursively(staging);
    long started = System.nanoTime();
    long[] copied = {0, 0};
    try (Connection connection = DriverManager.getConnection(source.url(), source.user(), source.password())) {
      if (hasJournalTable(connection)) {
        try (SegmentStore store = SegmentStore.open(new SegmentJournalSettings(staging, settings.segmentBytes(),
            settings.maxBatchBytes(), java.util.Optional.empty()))) {
          copy(connection, store, copied);
        }
      }
    } catch (SQLException e) {
      throw new IOException("cannot read the JDBC journal (" + source.url() + ") to copy its events: "
          + e.getMessage(), e);
    }
    Files.createDirectories(staging);
    Files.move(staging, settings.dir(), StandardCopyOption.ATOMIC_MOVE);
    try (FileChannel parent = FileChannel.open(settings.dir().getParent(), StandardOpenOption.READ)) {
      parent.force(true);
    }
    if (copied[0] > 0) {
      log.info("journal: copied {} events of {} persistence ids from the JDBC journal into {} in {} ms", copied[0],
          copied[1], settings.dir(), (System.nanoTime() - started) / 1_000_000);
    }
  }

  private static boolean hasJournalTable(Connection connection) throws SQLException {
    try (ResultSet tables = connection.getMetaData().getTables(null, null, TABLE, null)) {
      return tables.next();
    }
  }

  private static void copy(Connection connection, SegmentStore store, long[] copied) throws SQLException, IOException {
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    try (PreparedStatement select = connection.prepareStatement(ROWS)) {
      select.setFetchSize(1000);
      try (ResultSet rows = select.executeQuery()) {
        String persistenceId = null;
        long deletedTo = 0;
        while (rows.next()) {
          String pid = rows.getString(1);
          if (!pid.equals(persistenceId)) {
            deleteTo(store, persistenceId, deletedTo, inFlight);
            persistenceId = pid;
            deletedTo = 0;
            copied[1]++;
          }
          long seq = rows.getLong(2);
          if (rows.getBoolean(3)) {
            deletedTo = seq;
          }
          StoredEvent event = new StoredEvent(pid, seq, rows.getString(4), rows.getLong(5), rows.getString(6),
              rows.getInt(7), rows.getString(8), rows.getBytes(9));
          inFlight.add(store.append(List.of(new GroupCommit.Frame(pid, seq, SegmentFormat.event(event, true)))));
          copied[0]++;
          if (inFlight.size() >= WINDOW) {
            await(inFlight);
          }
        }
        deleteTo(store, persistenceId, deletedTo, inFlight);
      }
    }
    await(inFlight);
  }

  private static void deleteTo(SegmentStore store, String persistenceId, long deletedTo,
                               List<CompletableFuture<Void>> inFlight) {
    if (deletedTo > 0) {
      inFlight.add(store.delete(persistenceId, deletedTo));
    }
  }

  private static void await(List<CompletableFuture<Void>> inFlight) throws IOException {
    try {
      CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
    } catch (RuntimeException e) {
      throw new IOException("copying the JDBC journal's events failed: " + e.getMessage(), e);
    }
    inFlight.clear();
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
