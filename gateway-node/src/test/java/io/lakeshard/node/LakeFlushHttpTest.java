package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.assertError;
import static io.lakeshard.node.NodeHttp.delta;
import static io.lakeshard.node.NodeHttp.hlcNow;
import static io.lakeshard.node.NodeHttp.push;
import static io.lakeshard.node.NodeHttp.rowIds;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.catalogue.IcebergLake;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.lake.LocalLakeAdapter;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node in the embedded default (local lake directory, Iceberg's JdbcCatalog on H2) over
 * real HTTP: the admin flush, pulls that page across the lake and the buffer, backpressure while
 * the lake fails, and a typed table as Iceberg holds it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LakeFlushHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Only the admin route flushes in these tests (the age alarm would otherwise add flushes at 30 s). */
  private static final Map<String, Object> NO_ALARM = Map.of("lakeshard.gateway.flush.max-buffer-age", "1h");

  @TempDir Path dataDir;
  private LakeshardNode node;
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));

  private void startNode(Map<String, ?> overrides) {
    Map<String, Object> settings = new HashMap<>(NO_ALARM);
    settings.putAll(overrides);
    node = TestNode.start(dataDir, settings);
  }

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  // ---- HTTP ----

  private void pushOk(String gateway, String client, List<String> deltas) throws Exception {
    HttpResponse<String> response = http.post("/v1/sync/" + gateway + "/push", TestNode.token(client, gateway), push(client, deltas));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).get("deltas")).as("every delta ingested").hasSize(deltas.size());
  }

  private JsonNode flush(String path, String gateway) throws Exception {
    HttpResponse<String> response = http.post(path, TestNode.adminToken("ops", gateway), "");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    return JSON.readTree(response.body());
  }

  // ---- tests ----

  @Test
  void theAdminFlushNeedsTheAdminRoleAndAnswersWithWhatItWrote() throws Exception {
    startNode(Map.of());
    pushOk("gw1", "alice", List.of(
        delta("INSERT", "todos", "alice", "t1", hlcNow(0), "[{\"column\":\"title\",\"value\":\"milk\"}]"),
        delta("INSERT", "todos", "alice", "t2", hlcNow(1), "[{\"column\":\"title\",\"value\":\"eggs\"}]"),
        delta("INSERT", "notes", "alice", "n1", hlcNow(2), "[{\"column\":\"body\",\"value\":\"hi\"}]")));

    assertError(http.post("/v1/admin/flush/gw1", TestNode.token("alice", "gw1"), ""), 403, "FORBIDDEN");
    assertError(http.post("/v1/admin/flush/gw1", TestNode.adminToken("ops", "other"), ""), 403, "FORBIDDEN");
    assertError(http.post("/v1/admin/flush/gw1", null, ""), 401, "AUTH_ERROR");
    assertError(http.get("/v1/admin/flush/gw1", TestNode.adminToken("ops", "gw1")), 405, "METHOD_NOT_ALLOWED");

    JsonNode flushed = flush("/v1/admin/flush/gw1", "gw1");
    assertThat(flushed.get("flushed").asBoolean()).isTrue();
    assertThat(flushed.get("seq").asLong()).isEqualTo(1);
    assertThat(flushed.get("rows").asLong()).isEqualTo(3);
    JsonNode files = flushed.get("files");
    assertThat(files).isNotEmpty();
    Map<String, Long> rowsPerTable = new HashMap<>();
    long bytes = 0;
    for (JsonNode file : files) {
      assertThat(file.get("table").asText()).matches(".*lakesync\\.(todos|notes)");
      assertThat(file.get("file").asText()).startsWith(dataDir.resolve("lake").toUri().toString())
          .contains("gw1-1-").endsWith(".parquet");
      assertThat(file.get("bytes").asLong()).isPositive();
      assertThat(file.get("snapshotId").isTextual()).as("snapshotId as a decimal string").isTrue();
      assertThat(Long.parseLong(file.get("snapshotId").asText())).isNotZero();
      assertThat(file.get("alreadyCommitted").asBoolean()).isFalse();
      assertThat(Files.size(Path.of(URI.create(file.get("file").asText())))).isEqualTo(file.get("bytes").asLong());
      rowsPerTable.merge(file.get("table").asText().replaceAll(".*\\.", ""), file.get("rows").asLong(), Long::sum);
      bytes += file.get("bytes").asLong();
    }
    assertThat(rowsPerTable).containsExactlyInAnyOrderEntriesOf(Map.of("todos", 2L, "notes", 1L));
    assertThat(flushed.get("bytes").asLong()).isEqualTo(bytes);

    JsonNode nothing = flush("/v1/admin/flush/gw1", "gw1");
    assertThat(nothing.get("flushed").asBoolean()).isFalse();
    assertThat(nothing.get("rows").asLong()).isZero();
    assertThat(nothing.get("bytes").asLong()).isZero();
    assertThat(nothing.get("files")).isEmpty();
    assertThat(nothing.has("seq")).isFalse();

    // The unprefixed alias serves the same gateway.
    assertError(http.post("/admin/flush/gw1", TestNode.token("alice", "gw1"), ""), 403, "FORBIDDEN");
    pushOk("gw1", "alice", List.of(delta("UPDATE", "todos", "alice", "t1", hlcNow(3), "[{\"column\":\"done\",\"value\":true}]")));
    JsonNode viaAlias = flush("/admin/flush/gw1", "gw1");
    assertThat(viaAlias.get("flushed").asBoolean()).isTrue();
    assertThat(viaAlias.get("seq").asLong()).isEqualTo(2);
    assertThat(viaAlias.get("rows").asLong()).isEqualTo(1);
    assertThat(viaAlias.get("files")).allSatisfy(file -> assertThat(file.get("table").asText()).endsWith("lakesync.todos"));
    assertThat(flush("/admin/flush/gw1", "gw1").get("flushed").asBoolean()).isFalse();
  }

  @Test
  void pullsPageAcrossFlushedAndBufferedDeltasExactlyOnceInStampOrder() throws Exception {
    startNode(Map.of());
    List<String> pushed = new ArrayList<>();
    int n = 0;
    for (int round = 1; round <= 3; round++) {
      // One push of three deltas (one journal write), then two pushes of one each.
      List<String> group = new ArrayList<>();
      for (int i = 0; i < 3; i++, n++) {
        group.add(delta("INSERT", "todos", "alice", "r" + n, hlcNow(n), "[{\"column\":\"n\",\"value\":" + n + "}]"));
        pushed.add("r" + n);
      }
      pushOk("gw1", "alice", group);
      for (int i = 0; i < 2; i++, n++) {
        pushOk("gw1", "alice", List.of(
            delta("INSERT", "todos", "alice", "r" + n, hlcNow(n), "[{\"column\":\"n\",\"value\":" + n + "}]")));
        pushed.add("r" + n);
      }
      JsonNode flushed = flush("/v1/admin/flush/gw1", "gw1");
      assertThat(flushed.get("seq").asLong()).isEqualTo(round);
      assertThat(flushed.get("rows").asLong()).isEqualTo(5);
    }
    for (int i = 0; i < 4; i++, n++) {
      pushOk("gw1", "bob", List.of(
          delta("INSERT", "todos", "bob", "r" + n, hlcNow(n), "[{\"column\":\"n\",\"value\":" + n + "}]")));
      pushed.add("r" + n);
    }

    // 15 deltas in the lake, 4 in the buffer: page sizes that end exactly on, and straddle, the boundary.
    for (int limit : new int[] {1000, 19, 15, 4, 7, 1}) {
      List<JsonNode> pulled = http.pullAll("gw1", limit);
      assertThat(rowIds(pulled)).as("limit " + limit).containsExactlyElementsOf(pushed);
      assertThat(pulled.stream().map(d -> d.get("deltaId").asText()).distinct()).hasSize(pushed.size());
      for (JsonNode delta : pulled) {
        int index = Integer.parseInt(delta.get("rowId").asText().substring(1));
        assertThat(delta.get("columns")).as("columns of %s", delta).singleElement().satisfies(column -> {
          assertThat(column.get("column").asText()).isEqualTo("n");
          assertThat(column.get("value").asInt()).isEqualTo(index);
        });
        assertThat(delta.get("clientId").asText()).isEqualTo(index < 15 ? "alice" : "bob");
      }
    }

    // A cursor inside the lake returns the rest; one at the end returns nothing.
    List<JsonNode> all = http.pullAll("gw1", 1000);
    JsonNode page = JSON.readTree(http.get("/v1/sync/gw1/pull?since=0&limit=10", TestNode.token("bob", "gw1")).body());
    assertThat(page.get("hasMore").asBoolean()).isTrue();
    JsonNode rest = JSON.readTree(http.get("/v1/sync/gw1/pull?since=" + page.get("serverHlc").asText() + "&limit=1000",
        TestNode.token("bob", "gw1")).body());
    List<JsonNode> restDeltas = new ArrayList<>();
    rest.get("deltas").forEach(restDeltas::add);
    assertThat(rowIds(restDeltas)).containsExactlyElementsOf(pushed.subList(10, 19));
    assertThat(all).hasSize(19);
    JsonNode end = JSON.readTree(http.get("/v1/sync/gw1/pull?since=" + rest.get("serverHlc").asText(),
        TestNode.token("bob", "gw1")).body());
    assertThat(end.get("deltas")).isEmpty();
    assertThat(end.get("hasMore").asBoolean()).isFalse();

    HttpResponse<String> metrics = http.get("/v1/admin/metrics/gw1", TestNode.adminToken("ops", "gw1"));
    assertThat(metrics.statusCode()).as(metrics.body()).isEqualTo(200);
    JsonNode stats = JSON.readTree(metrics.body());
    assertThat(stats.get("lastFlushSeq").asLong()).isEqualTo(3);
    assertThat(stats.get("logSize").asInt()).isEqualTo(4);
    assertThat(Long.parseUnsignedLong(stats.get("flushedUpTo").asText())).isPositive();
  }

  @Test
  void pushesGet503BackpressureWhileTheLakeFailsAndEveryAcknowledgedOneStaysPullable() throws Exception {
    // The lake directory lies under a regular file, so creating any directory in it fails. The
    // node still starts: LocalLakeAdapter touches nothing until a put, and JdbcCatalog keeps its
    // tables in H2 under the data dir (catalogue/), not in the lake. Every flush then fails at its
    // first metadata write (LakeException.Transient, surfaced by LakeFileIO as an
    // UncheckedIOException) and the gateway keeps its buffer and retries with backoff.
    Path blocker = Files.writeString(dataDir.resolve("not-a-directory"), "a file where the lake should be");
    startNode(Map.of(
        "lakeshard.lake.dir", blocker.resolve("lake").toString(),
        "lakeshard.gateway.flush.max-buffer-bytes", "4KiB",
        "lakeshard.gateway.flush.backoff.min", "50ms",
        "lakeshard.gateway.flush.backoff.max", "200ms"));

    String token = TestNode.token("alice", "gw1");
    String payload = "x".repeat(300);
    List<String> acknowledged = new ArrayList<>();
    HttpResponse<String> throttled = null;
    for (int i = 0; i < 200 && throttled == null; i++) {
      HttpResponse<String> response = http.post("/v1/sync/gw1/push", token, push("alice", List.of(
          delta("INSERT", "todos", "alice", "r" + i, hlcNow(i), "[{\"column\":\"blob\",\"value\":\"" + payload + "\"}]"))));
      if (response.statusCode() == 503) {
        throttled = response;
      } else {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        acknowledged.add("r" + i);
      }
    }
    assertThat(throttled).as("a push refused within 200 pushes of ~400 bytes").isNotNull();
    assertThat(JSON.readTree(throttled.body()).get("code").asText()).isEqualTo("BACKPRESSURE_ERROR");
    assertThat(throttled.headers().firstValue("Retry-After")).isPresent()
        .hasValueSatisfying(seconds -> assertThat(Long.parseLong(seconds)).isGreaterThanOrEqualTo(1));
    String refusedRow = "r" + acknowledged.size();

    // The admin flush says why nothing is flushed; a push still gets 503.
    HttpResponse<String> flush = http.post("/v1/admin/flush/gw1", TestNode.adminToken("ops", "gw1"), "");
    assertError(flush, 503, "FLUSH_ERROR");
    assertError(http.post("/v1/sync/gw1/push", token, push("alice", List.of(
        delta("INSERT", "todos", "alice", "late", hlcNow(0), "[]")))), 503, "BACKPRESSURE_ERROR");

    for (int limit : new int[] {1000, 7}) {
      List<String> pulled = rowIds(http.pullAll("gw1", limit));
      assertThat(pulled).as("limit " + limit).containsExactlyElementsOf(acknowledged).doesNotContain(refusedRow, "late");
    }
    JsonNode stats = JSON.readTree(http.get("/v1/admin/metrics/gw1", TestNode.adminToken("ops", "gw1")).body());
    assertThat(stats.get("lastFlushSeq").asLong()).isZero();
    assertThat(stats.get("logSize").asInt()).isEqualTo(acknowledged.size());
    // Refused only past twice max-buffer-bytes, so well past the 4 KiB at which a flush was due.
    assertThat(stats.get("byteSize").asLong()).isGreaterThanOrEqualTo(8 * 1024);
    assertThat(Files.isRegularFile(blocker)).isTrue();
  }

  @Test
  void aTypedTableLandsInIcebergWithItsValuesTypesAndNulls() throws Exception {
    startNode(Map.of());
    String schema = "{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"},"
        + "{\"name\":\"rank\",\"type\":\"number\"},{\"name\":\"done\",\"type\":\"boolean\"},"
        + "{\"name\":\"meta\",\"type\":\"json\"}]}";
    HttpResponse<String> saved = http.post("/v1/admin/schema/gw1", TestNode.adminToken("ops", "gw1"), schema);
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);

    pushOk("gw1", "alice", List.of(
        delta("INSERT", "todos", "alice", "t1", hlcNow(0), "[{\"column\":\"title\",\"value\":\"buy milk\"},"
            + "{\"column\":\"rank\",\"value\":3},{\"column\":\"done\",\"value\":false},"
            + "{\"column\":\"meta\",\"value\":{\"tags\":[1,\"two\",null],\"n\":{\"x\":1.5}}}]"),
        delta("INSERT", "todos", "alice", "t2", hlcNow(1), "[{\"column\":\"title\",\"value\":null},"
            + "{\"column\":\"rank\",\"value\":-0.25},{\"column\":\"done\",\"value\":null},"
            + "{\"column\":\"meta\",\"value\":null}]"),
        delta("INSERT", "todos", "alice", "t3", hlcNow(2), "[{\"column\":\"title\",\"value\":\"h\\u00e9 \\\"quoted\\\"\"},"
            + "{\"column\":\"rank\",\"value\":12345678.5},{\"column\":\"meta\",\"value\":[true,\"s\"]}]")));
    pushOk("gw1", "bob", List.of(
        delta("UPDATE", "todos", "bob", "t1", hlcNow(3), "[{\"column\":\"done\",\"value\":true}]"),
        delta("DELETE", "todos", "bob", "t3", hlcNow(4), "[]")));
    JsonNode flushed = flush("/v1/admin/flush/gw1", "gw1");
    assertThat(flushed.get("rows").asLong()).isEqualTo(5);

    // The node's own catalogue, opened beside it: H2 lets several connections share a file database in one JVM.
    String url = "jdbc:h2:file:" + dataDir + "/catalogue/iceberg;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
    List<Record> rows = new ArrayList<>();
    Table table;
    try (IcebergLake lake = IcebergLake.jdbc(url, "sa", "", new LocalLakeAdapter(dataDir.resolve("lake")))) {
      table = lake.catalog().loadTable(TableIdentifier.of(IcebergLake.NAMESPACE, "todos"));
      try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
        records.forEach(rows::add);
      }
    }
    rows.sort((a, b) -> Long.compare((Long) a.getField("stamp"), (Long) b.getField("stamp")));

    assertThat(table.schema().findType("title")).isEqualTo(Types.StringType.get());
    assertThat(table.schema().findType("rank")).isEqualTo(Types.DoubleType.get());
    assertThat(table.schema().findType("done")).isEqualTo(Types.BooleanType.get());
    assertThat(table.schema().findType("meta")).isEqualTo(Types.StringType.get());

    assertThat(rows).extracting(r -> r.getField("rowId")).containsExactly("t1", "t2", "t3", "t1", "t3");
    assertThat(rows).extracting(r -> r.getField("op")).containsExactly("INSERT", "INSERT", "INSERT", "UPDATE", "DELETE");
    assertThat(rows).extracting(r -> r.getField("clientId")).containsExactly("alice", "alice", "alice", "bob", "bob");
    assertThat(rows).allSatisfy(r -> {
      assertThat(r.getField("table")).isEqualTo("todos");
      assertThat((String) r.getField("deltaId")).hasSize(64);
      assertThat(r.getField("hlc")).isInstanceOf(Long.class);
      assertThat(r.getField("acceptedAt")).isInstanceOf(OffsetDateTime.class);
      assertThat(((OffsetDateTime) r.getField("acceptedAt")).toInstant().toEpochMilli())
          .isEqualTo(HybridClock.wallOf((Long) r.getField("stamp")));
    });

    Record t1 = rows.get(0);
    assertThat(t1.getField("title")).isEqualTo("buy milk");
    assertThat(t1.getField("rank")).isEqualTo(3.0);
    assertThat(t1.getField("done")).isEqualTo(false);
    assertThat(t1.getField("meta")).isEqualTo("{\"tags\":[1,\"two\",null],\"n\":{\"x\":1.5}}");

    Record t2 = rows.get(1);
    assertThat(t2.getField("title")).isNull();
    assertThat(t2.getField("done")).isNull();
    assertThat(t2.getField("rank")).isEqualTo(-0.25);
    // A json column keeps its JSON text, so an explicit null is the text "null" (DeltaRecords.fromJson).
    assertThat(t2.getField("meta")).isEqualTo("null");
    assertThat(t2.getField("columns")).as("typed columns set to null").isEqualTo("{\"title\":null,\"done\":null}");

    Record t3 = rows.get(2);
    assertThat(t3.getField("title")).isEqualTo("hé \"quoted\"");
    assertThat(t3.getField("rank")).isEqualTo(12345678.5);
    assertThat(t3.getField("done")).as("a column the delta left out").isNull();
    assertThat(t3.getField("meta")).isEqualTo("[true,\"s\"]");

    Record update = rows.get(3);
    assertThat(update.getField("done")).isEqualTo(true);
    assertThat(update.getField("title")).isNull();
    assertThat(update.getField("rank")).isNull();
    assertThat(update.getField("meta")).as("left out: a real null, not the text").isNull();
    assertThat(update.getField("columns")).as("nothing set to null").isNull();

    Record delete = rows.get(4);
    assertThat(delete.getField("title")).isNull();
    assertThat(delete.getField("rank")).isNull();
    assertThat(delete.getField("done")).isNull();
    assertThat(delete.getField("meta")).isNull();

    // The node reads the same deltas back from the lake for a pull from the start.
    assertThat(rowIds(http.pullAll("gw1", 2))).containsExactly("t1", "t2", "t3", "t1", "t3");
  }

  @Test
  void anIdleGatewayFlushesAsItPassivatesAndItsNextRequestStartsItAgain() throws Exception {
    startNode(Map.of("pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout", "1s"));
    pushOk("idle", "alice", List.of(
        delta("INSERT", "notes", "alice", "n1", hlcNow(0), "[{\"column\":\"text\",\"value\":\"a\"}]"),
        delta("INSERT", "notes", "alice", "n2", hlcNow(1), "[{\"column\":\"text\",\"value\":\"b\"}]")));

    // No alarm (1 h) and no admin flush: only passivation flushes. Polls the node's catalogue.
    String url = "jdbc:h2:file:" + dataDir + "/catalogue/iceberg;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
    try (IcebergLake lake = IcebergLake.jdbc(url, "sa", "", new LocalLakeAdapter(dataDir.resolve("lake")))) {
      TableIdentifier notes = TableIdentifier.of(IcebergLake.NAMESPACE, "notes");
      List<Record> rows = new ArrayList<>();
      // Another component's progress, seen only through the catalogue.
      Await.until("flushed on passivation", Duration.ofSeconds(30), () -> {
        if (lake.catalog().tableExists(notes)) {
          // The table exists a moment before its first snapshot: an empty read means not yet.
          try (CloseableIterable<Record> records = IcebergGenerics.read(lake.catalog().loadTable(notes)).build()) {
            records.forEach(rows::add);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        return !rows.isEmpty();
      });
      assertThat(rows).extracting(r -> r.getField("rowId")).containsExactlyInAnyOrder("n1", "n2");
    }

    // The next request starts the gateway again, from its snapshot: the buffer is empty, the deltas in the lake.
    HttpResponse<String> metrics = http.get("/v1/admin/metrics/idle", TestNode.adminToken("ops", "idle"));
    assertThat(metrics.statusCode()).as(metrics.body()).isEqualTo(200);
    assertThat(JSON.readTree(metrics.body()).get("lastFlushSeq").asLong()).isEqualTo(1);
    assertThat(JSON.readTree(metrics.body()).get("logSize").asInt()).isZero();
    assertThat(rowIds(http.pullAll("idle", 10))).containsExactly("n1", "n2");
  }
}
