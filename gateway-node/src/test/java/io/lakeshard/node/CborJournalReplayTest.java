package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.rowIds;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway journaled in Jackson CBOR (as nodes bound its events before GatewaySerializer) on
 * the JDBC journal, then run with the protobuf binding: it replays the CBOR events, journals new
 * ones in protobuf, and a restart replays both and serves every delta.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CborJournalReplayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "cbor-journaled";
  private static final String PERSISTENCE_ID = "SyncGateway|" + GATEWAY;
  private static final long CBOR = 33; // jackson-cbor's serializer id
  private static final long PROTOBUF = 1_404_202; // GatewaySerializer's
  /** No flush (it would snapshot and delete the events under test), on the JDBC journal. */
  private static final Map<String, Object> JDBC_NO_FLUSH = Map.of("lakeshard.gateway.flush.max-buffer-age", "1h",
      "lakeshard.journal.type", "jdbc");

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
  private final List<String> pushed = new ArrayList<>();
  private final List<String> bodies = new ArrayList<>();

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void eventsJournaledInCborReplayOnceTheyAreBoundToProtobuf() throws Exception {
    Map<String, Object> cborEvents = new HashMap<>(JDBC_NO_FLUSH);
    cborEvents.put("pekko.actor.serialization-bindings.\"io.lakeshard.core.gateway.GatewayLedger$Event\"",
        "jackson-cbor");
    node = TestNode.start(dataDir, cborEvents);
    pushRows(3);
    assertThat(eventSerializerIds()).containsExactly(CBOR, CBOR, CBOR);
    restart(JDBC_NO_FLUSH);

    pushRows(2); // after the gateway recovered from its CBOR events
    assertThat(eventSerializerIds()).containsExactly(CBOR, CBOR, CBOR, PROTOBUF, PROTOBUF);
    restart(JDBC_NO_FLUSH);

    assertThat(rowIds(http.pullAll(GATEWAY, 1000))).containsExactlyElementsOf(pushed);
    // The recovered dedupe window holds the CBOR-journaled ids: a retry is accepted, not ingested again.
    assertThat(JSON.readTree(push(bodies.get(0))).get("deltas")).isEmpty();
    assertThat(rowIds(http.pullAll(GATEWAY, 1000))).containsExactlyElementsOf(pushed);
  }

  private void restart(Map<String, Object> settings) throws Exception {
    node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    node = TestNode.start(dataDir, settings);
  }

  private void pushRows(int count) throws Exception {
    for (int i = 0; i < count; i++) {
      int n = pushed.size();
      String body = NodeHttp.push("alice", List.of(NodeHttp.delta("INSERT", "todos", "alice", "r" + n,
          NodeHttp.hlcNow(n), "[{\"column\":\"n\",\"value\":" + n + "}]")));
      assertThat(JSON.readTree(push(body)).get("deltas")).hasSize(1);
      bodies.add(body);
      pushed.add("r" + n);
    }
  }

  private String push(String body) throws Exception {
    HttpResponse<String> response = http.post("/v1/sync/" + GATEWAY + "/push", TestNode.token("alice", GATEWAY), body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  /** The serializer id stored with each of the gateway's events, oldest first (H2 in this JVM). */
  private List<Long> eventSerializerIds() throws SQLException {
    var config = node.system().settings().config();
    try (Connection connection = DriverManager.getConnection(config.getString("lakeshard.journal.url"),
        config.getString("lakeshard.journal.user"), config.getString("lakeshard.journal.password"));
         PreparedStatement statement = connection.prepareStatement("select \"event_ser_id\" from \"event_journal\""
             + " where \"persistence_id\" = ? order by \"sequence_number\"")) {
      statement.setString(1, PERSISTENCE_ID);
      List<Long> ids = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getLong(1));
        }
      }
      return ids;
    }
  }
}
