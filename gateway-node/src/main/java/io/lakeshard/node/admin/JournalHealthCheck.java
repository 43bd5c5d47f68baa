package io.lakeshard.node.admin;

import com.typesafe.config.Config;
import io.lakeshard.node.journal.SegmentJournals;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.Dispatchers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness: the journal answers. A node that cannot journal cannot acknowledge a push, so it
 * should get no traffic. The journal database must answer (it holds the snapshots, and the events
 * too with the JDBC journal); with the segment journal, its writer must also take a request, which
 * it no longer does after a failed write. Registered in pekko.management.health-checks.
 */
public final class JournalHealthCheck implements Supplier<CompletionStage<Boolean>> {
  private static final Logger log = LoggerFactory.getLogger(JournalHealthCheck.class);

  private final ActorSystem system;
  private final String url;
  private final String user;
  private final String password;
  private final int timeoutSeconds;
  private final boolean segments;
  private final Executor blocking;

  public JournalHealthCheck(ActorSystem system) {
    this.system = system;
    Config config = system.settings().config();
    Config journal = config.getConfig("lakeshard.journal");
    this.url = journal.getString("url");
    this.user = journal.getString("user");
    this.password = journal.getString("password");
    this.timeoutSeconds = (int) Math.max(1, journal.getDuration("health-timeout").toSeconds());
    this.segments = config.getString("pekko.persistence.journal.plugin").equals(SegmentJournals.PLUGIN_ID);
    this.blocking = system.dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
  }

  @Override
  public CompletionStage<Boolean> get() {
    CompletableFuture<Boolean> database = CompletableFuture.supplyAsync(() -> {
      DriverManager.setLoginTimeout(timeoutSeconds);
      try (Connection connection = DriverManager.getConnection(url, user, password)) {
        return connection.isValid(timeoutSeconds);
      } catch (SQLException e) {
        log.warn("journal database unreachable: {}", e.getMessage());
        return false;
      }
    }, blocking);
    if (!segments) {
      return database;
    }
    CompletableFuture<Boolean> writer = CompletableFuture
        .supplyAsync(() -> SegmentJournals.store(system), blocking)
        .thenCompose(store -> store.probe())
        .orTimeout(timeoutSeconds, TimeUnit.SECONDS)
        .handle((done, failure) -> {
          if (failure != null) {
            log.warn("journal writer not answering: {}", failure.toString());
          }
          return failure == null;
        });
    return writer.thenCombine(database, Boolean::logicalAnd);
  }
}
