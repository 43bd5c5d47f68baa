package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.push;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.adapter.r2.NessieServer;
import io.lakeshard.adapter.r2.S3LakeAdapter;
import io.lakeshard.adapter.r2.S3ProxyServer;
import io.lakeshard.adapter.r2.S3Settings;
import io.lakeshard.core.catalogue.IcebergLake;
import io.lakeshard.core.hlc.HybridClock;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Production mode end to end: a node flushing to a real S3 server (S3Proxy) through a real Nessie
 * catalogue, checked from outside through a client of its own, and pulled back through the node.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NessieS3NodeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BUCKET = "lakeshard-node";
  private static final String REGION = "us-east-1";
  private static S3ProxyServer s3;
  private static NessieServer nessie;

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(30));

  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS) // S3Proxy waits at most 30 s, Nessie at most 60 s
  static void startServers() throws Exception {
    Path logs = Files.createDirectories(Path.of("target", "nessie-s3-node"));
    s3 = S3ProxyServer.start(logs);
    nessie = NessieServer.start(logs);
  }

  @AfterAll
  static void stopServers() {
    if (nessie != null) {
      nessie.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static S3Settings s3Settings() {
    return new S3Settings(s3.endpoint(), REGION, BUCKET, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
  }

  private static String delta(String op, String client, String row, long hlc, String columnsJson) {
    return NodeHttp.delta(op, "notes", client, row, hlc, columnsJson);
  }

  @Test
  void flushesThroughNessieToS3AndPullsBackThroughTheLake() throws Exception {
    node = TestNode.start(dataDir, Map.of(
        "lakeshard.gateway.flush.max-buffer-age", "1h",
        "lakeshard.lake.type", "s3",
        "lakeshard.lake.s3.endpoint", s3.endpoint(),
        "lakeshard.lake.s3.region", REGION,
        "lakeshard.lake.s3.bucket", BUCKET,
        "lakeshard.lake.s3.access-key", S3ProxyServer.ACCESS_KEY,
        "lakeshard.lake.s3.secret-key", S3ProxyServer.SECRET_KEY,
        "lakeshard.catalogue.type", "nessie",
        "lakeshard.catalogue.nessie.uri", nessie.uri()));

    long now = System.currentTimeMillis();
    // rowId, op, clientId, the columns as pushed, and as the lake's one JSON object holds them
    List<String[]> rows = List.of(
        new String[] {"n1", "INSERT", "alice", "[{\"column\":\"title\",\"value\":\"hello\"},{\"column\":\"pinned\",\"value\":true},"
            + "{\"column\":\"size\",\"value\":12.5},{\"column\":\"tags\",\"value\":[\"a\",{\"b\":null}]},{\"column\":\"gone\",\"value\":null}]",
            "{\"title\":\"hello\",\"pinned\":true,\"size\":12.5,\"tags\":[\"a\",{\"b\":null}],\"gone\":null}"},
        new String[] {"n2", "INSERT", "alice", "[{\"column\":\"title\",\"value\":\"h\\u00e9 \\\"quoted\\\"\"},{\"column\":\"size\",\"value\":-3}]",
            "{\"title\":\"hé \\\"quoted\\\"\",\"size\":-3}"},
        new String[] {"n1", "UPDATE", "bob", "[{\"column\":\"pinned\",\"value\":false}]", "{\"pinned\":false}"},
        new String[] {"n2", "DELETE", "bob", "[]", "{}"});
    String alice = TestNode.token("alice", "gw1");
    String bob = TestNode.token("bob", "gw1");
    List<String> deltaIds = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      String[] row = rows.get(i);
      String client = row[2];
      HttpResponse<String> pushed = http.post("/v1/sync/gw1/push", client.equals("alice") ? alice : bob,
          push(client, List.of(delta(row[1], client, row[0], HybridClock.encode(now, i), row[3]))));
      assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
      assertThat(JSON.readTree(pushed.body()).get("deltas")).as("ingested whole").hasSize(1);
      deltaIds.add(JSON.readTree(pushed.body()).get("deltas").get(0).get("deltaId").asText());
    }

    HttpResponse<String> flush = http.post("/v1/admin/flush/gw1", TestNode.adminToken("ops", "gw1"), "");
    assertThat(flush.statusCode()).as(flush.body()).isEqualTo(200);
    JsonNode flushed = JSON.readTree(flush.body());
    assertThat(flushed.get("flushed").asBoolean()).isTrue();
    assertThat(flushed.get("seq").asLong()).isEqualTo(1);
    assertThat(flushed.get("rows").asLong()).isEqualTo(4);
    assertThat(flushed.get("files")).isNotEmpty().allSatisfy(file -> {
      assertThat(file.get("table").asText()).endsWith("lakesync.notes");
      assertThat(file.get("file").asText()).startsWith("s3://" + BUCKET + "/").endsWith(".parquet");
      assertThat(file.get("alreadyCommitted").asBoolean()).isFalse();
    });

    // A client of its own, as Spark or Trino would be: Nessie for the table, S3 for the files.
    List<Record> records = new ArrayList<>();
    try (IcebergLake reader = IcebergLake.nessie(nessie.uri(), "main", new S3LakeAdapter(s3Settings()))) {
      Table table = reader.catalog().loadTable(TableIdentifier.of(IcebergLake.NAMESPACE, "notes"));
      try (CloseableIterable<Record> read = IcebergGenerics.read(table).build()) {
        read.forEach(records::add);
      }
    }
    records.sort((a, b) -> Long.compare((Long) a.getField("stamp"), (Long) b.getField("stamp")));
    assertThat(records).hasSize(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      String[] row = rows.get(i);
      Record record = records.get(i);
      assertThat(record.getField("rowId")).isEqualTo(row[0]);
      assertThat(record.getField("op")).isEqualTo(row[1]);
      assertThat(record.getField("clientId")).isEqualTo(row[2]);
      assertThat(record.getField("columns")).as("columns of %s", row[0]).isEqualTo(row[4]);
      assertThat(record.getField("table")).isEqualTo("notes");
      assertThat(record.getField("hlc")).isEqualTo(HybridClock.encode(now, i));
      assertThat(record.getField("deltaId")).isEqualTo(deltaIds.get(i));
    }

    // Back through the node: the flushed deltas come from Nessie and S3, each once, as pushed.
    List<JsonNode> pulled = http.pullAll("gw1", 3);
    assertThat(pulled).hasSize(rows.size());
    assertThat(pulled.stream().map(d -> d.get("deltaId").asText())).containsExactlyElementsOf(deltaIds);
    for (int i = 0; i < rows.size(); i++) {
      String[] row = rows.get(i);
      JsonNode delta = pulled.get(i);
      assertThat(delta.get("rowId").asText()).isEqualTo(row[0]);
      assertThat(delta.get("op").asText()).isEqualTo(row[1]);
      assertThat(delta.get("clientId").asText()).isEqualTo(row[2]);
      assertThat(delta.get("hlc").asText()).isEqualTo(Long.toUnsignedString(HybridClock.encode(now, i)));
      assertThat(delta.get("columns")).isEqualTo(JSON.readTree(row[3]));
    }
  }
}
