package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.rowIds;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway journal stays bounded on the JDBC journal (pekko-persistence-jdbc, here on H2, as
 * clusters use it on PostgreSQL): after each flush the events before its snapshot, and the older snapshots, are
 * deleted; a restart still serves every delta, from the lake and the buffer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JournalRetentionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "retained";
  private static final String PERSISTENCE_ID = "SyncGateway|" + GATEWAY;
  /**
   * Only the admin route flushes (the age alarm would add flushes of its own); on the JDBC journal
   * (SegmentJournalNodeTest does the same for the segment journal).
   */
  private static final Map<String, Object> NO_ALARM = Map.of("lakeshard.gateway.flush.max-buffer-age", "1h",
      "lakeshard.journal.type", "jdbc");
  private static final int FLUSHES = 4;
  private static final int PUSHES_PER_FLUSH = 3;
  private static final int PUSHES_AFTER = 2;
  private static final Duration DELETION_DEADLINE = Duration.ofSeconds(20);

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
  private final List<String> pushed = new ArrayList<>();

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void afterEachFlushTheJournalHoldsWhatCameSinceAndOneSnapshotAndARestartLosesNothing() throws Exception {
    node = TestNode.start(dataDir, NO_ALARM);
    TestProbe<Void> waiter = TestProbe.create(node.system());
    for (int flush = 1; flush <= FLUSHES; flush++) {
      for (int i = 0; i < PUSHES_PER_FLUSH; i++) {
        pushOne(); // sequential pushes: one journal event each
      }
      assertThat(liveEvents()).hasSizeGreaterThanOrEqualTo(PUSHES_PER_FLUSH);
      JsonNode flushed = flush();
      assertThat(flushed.get("seq").asLong()).isEqualTo(flush);
      assertThat(flushed.get("rows").asLong()).isEqualTo(PUSHES_PER_FLUSH);
      // Deletion follows the snapshot's save, after the flush has answered.
      waiter.awaitAssert(DELETION_DEADLINE, () -> {
        assertThat(liveEvents()).isEmpty();
        assertThat(snapshotRows()).isEqualTo(1);
        return null;
      });
    }
    long snapshotSeq = lastSnapshotSeq();
    for (int i = 0; i < PUSHES_AFTER; i++) {
      pushOne();
    }

    List<EventEnvelope> live = liveEvents();
    assertThat(live).hasSize(PUSHES_AFTER).allSatisfy(event -> {
      assertThat(event.sequenceNr()).isGreaterThan(snapshotSeq);
      assertThat(event.event().getClass().getSimpleName()).isEqualTo("DeltasAccepted");
    });
    // pekko-persistence-jdbc 1.1.1 deletes logically, then hard up to the last deleted one: it
    // keeps that row, marked deleted, so the highest sequence number survives. Observed here:
    // one row (the last flush's Flushed event) besides the live events, whatever the flush count.
    assertThat(journalRows()).isEqualTo(PUSHES_AFTER + 1);
    assertThat(deletedJournalRowSeqs()).containsExactly(snapshotSeq);
    assertThat(snapshotRows()).isEqualTo(1);

    node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node = TestNode.start(dataDir, NO_ALARM);
    for (int limit : new int[] {1000, 5}) {
      List<JsonNode> pulled = http.pullAll(GATEWAY, limit);
      assertThat(rowIds(pulled)).as("limit " + limit).containsExactlyElementsOf(pushed);
    }
  }

  private void pushOne() throws Exception {
    assertThat(JSON.readTree(http.pushNumberedRow(GATEWAY, pushed.size())).get("deltas")).hasSize(1);
    pushed.add("r" + pushed.size());
  }


  private JsonNode flush() throws Exception {
    HttpResponse<String> response = http.post("/v1/admin/flush/" + GATEWAY, TestNode.adminToken("ops", GATEWAY), "");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.get("flushed").asBoolean()).isTrue();
    return body;
  }

  /** The events a recovery replays, as the node's own read journal sees them. */
  private List<EventEnvelope> liveEvents() {
    JdbcReadJournal journal = PersistenceQuery.get(node.system())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal.currentEventsByPersistenceId(PERSISTENCE_ID, 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), node.system()).toCompletableFuture().join();
  }

  // The rows themselves, read over JDBC: the read journal hides rows marked deleted, and no
  // public API lists a persistence id's snapshots.

  private long journalRows() throws SQLException {
    return queryLongs("select count(*) from \"event_journal\" where \"persistence_id\" = ?").get(0);
  }

  private List<Long> deletedJournalRowSeqs() throws SQLException {
    return queryLongs("select \"sequence_number\" from \"event_journal\" where \"persistence_id\" = ? and \"deleted\"");
  }

  private long snapshotRows() throws SQLException {
    return queryLongs("select count(*) from \"snapshot\" where \"persistence_id\" = ?").get(0);
  }

  private long lastSnapshotSeq() throws SQLException {
    return queryLongs("select max(\"sequence_number\") from \"snapshot\" where \"persistence_id\" = ?").get(0);
  }

  /**
   * A query with the persistence id as its parameter, on the node's journal database (H2 in the
   * same JVM: the same URL opens the database the node has open).
   */
  private List<Long> queryLongs(String sql) throws SQLException {
    var config = node.system().settings().config();
    try (Connection connection = DriverManager.getConnection(config.getString("lakeshard.journal.url"),
        config.getString("lakeshard.journal.user"), config.getString("lakeshard.journal.password"));
         PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, PERSISTENCE_ID);
      List<Long> values = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          values.add(rows.getLong(1));
        }
      }
      return values;
    }
  }
}
