package io.lakeshard.node.admin;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.Dispatchers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness: the journal database answers. A node that cannot journal cannot acknowledge a
 * push, so it should get no traffic. Registered in pekko.management.health-checks.
 */
public final class JournalHealthCheck implements Supplier<CompletionStage<Boolean>> {
  private static final Logger log = LoggerFactory.getLogger(JournalHealthCheck.class);

  private final String url;
  private final String user;
  private final String password;
  private final int timeoutSeconds;
  private final Executor blocking;

  public JournalHealthCheck(ActorSystem system) {
    Config journal = system.settings().config().getConfig("lakeshard.journal");
    this.url = journal.getString("url");
    this.user = journal.getString("user");
    this.password = journal.getString("password");
    this.timeoutSeconds = (int) Math.max(1, journal.getDuration("health-timeout").toSeconds());
    this.blocking = system.dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.supplyAsync(() -> {
      DriverManager.setLoginTimeout(timeoutSeconds);
      try (Connection connection = DriverManager.getConnection(url, user, password)) {
        return connection.isValid(timeoutSeconds);
      } catch (SQLException e) {
        log.warn("journal unreachable: {}", e.getMessage());
        return false;
      }
    }, blocking);
  }
}
