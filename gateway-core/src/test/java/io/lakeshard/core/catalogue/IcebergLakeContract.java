package io.lakeshard.core.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.flush.FlushPlan;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.schema.ColumnType;
import io.lakeshard.core.schema.TableSchema;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotChanges;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.relocated.com.google.common.collect.Lists;
import org.junit.jupiter.api.Test;

/**
 * What flushing to an Iceberg catalogue must do, whatever the catalogue and the object store:
 * each implementation's test extends this with its own real servers.
 */
public abstract class IcebergLakeContract {
  private static final long DAY_MS = 86_400_000L;
  private static final long WALL = 1_790_000_000_000L; // 2026-09-21

  protected abstract IcebergLake lake();

  /** A delta accepted at {@code wall + n} ms, stamped and with an HLC from it. */
  protected static Accepted accepted(String table, String rowId, long wall, int n, Op op, ColumnValue... columns) {
    long stamp = HybridClock.encode(wall + n, 0);
    RowDelta delta = new RowDelta(op, table, rowId, "client-1", List.of(columns), stamp - 5, table + "-" + rowId + "-" + n);
    return new Accepted(delta, stamp);
  }

  private static ColumnValue column(String name, String json) {
    return new ColumnValue(name, json);
  }

  private static List<Record> rows(Table table) throws Exception {
    table.refresh();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      List<Record> rows = Lists.newArrayList(records);
      rows.sort((a, b) -> Long.compare((Long) a.getField("stamp"), (Long) b.getField("stamp")));
      return rows;
    }
  }

  private Table table(String name) {
    return lake().catalog().loadTable(TableIdentifier.of(IcebergLake.NAMESPACE, name));
  }

  @Test
  void aSchemalessTableHoldsEachDeltaWithItsColumnsAsOneJsonObject() throws Exception {
    String gw = "gw-plain";
    List<Accepted> deltas = List.of(
        accepted("notes", "n1", WALL, 1, Op.INSERT, column("title", "\"hello\""), column("pinned", "true"),
            column("size", "12.5"), column("tags", "[\"a\",{\"b\":null}]"), column("gone", "null")),
        accepted("notes", "n1", WALL, 2, Op.UPDATE, column("title", "\"hé \\\"quoted\\\"\"")),
        accepted("notes", "n2", WALL, 3, Op.DELETE));
    FlushResult result = lake().flush(new FlushPlan(gw, 1, deltas.get(2).stamp(), deltas, Map.of()));

    assertThat(result.rows()).isEqualTo(3);
    assertThat(result.files()).singleElement().satisfies(file -> {
      assertThat(file.location()).endsWith(gw + "-1-" + deltas.get(0).stamp() + "-" + deltas.get(2).stamp() + ".parquet");
      assertThat(file.alreadyCommitted()).isFalse();
    });
    List<Record> rows = rows(table("notes"));
    assertThat(rows).hasSize(3);
    Record first = rows.get(0);
    assertThat(first.getField("op")).isEqualTo("INSERT");
    assertThat(first.getField("table")).isEqualTo("notes");
    assertThat(first.getField("rowId")).isEqualTo("n1");
    assertThat(first.getField("clientId")).isEqualTo("client-1");
    assertThat(first.getField("deltaId")).isEqualTo("notes-n1-1");
    assertThat(first.getField("hlc")).isEqualTo(deltas.get(0).delta().hlc());
    assertThat(first.getField("stamp")).isEqualTo(deltas.get(0).stamp());
    assertThat(first.getField("acceptedAt")).isEqualTo(Instant.ofEpochMilli(WALL + 1).atOffset(ZoneOffset.UTC));
    assertThat(first.getField("columns"))
        .isEqualTo("{\"title\":\"hello\",\"pinned\":true,\"size\":12.5,\"tags\":[\"a\",{\"b\":null}],\"gone\":null}");
    assertThat(rows.get(2).getField("op")).isEqualTo("DELETE");
    assertThat(rows.get(2).getField("columns")).isEqualTo("{}");

    Table table = table("notes");
    assertThat(table.spec().fields()).singleElement()
        .satisfies(field -> assertThat(field.transform().toString()).isEqualTo("day"));
    assertThat(SnapshotChanges.builderFor(table).snapshot(table.currentSnapshot()).build().addedDataFiles()).allSatisfy(file -> {
      assertThat(file.format()).isEqualTo(FileFormat.PARQUET);
      assertThat(file.recordCount()).isEqualTo(3);
    });
    // The file is Snappy-compressed Parquet with Iceberg field ids.
    assertThat(table.properties()).containsEntry("write.parquet.compression-codec", "snappy");

    assertThat(lake().read(gw, List.of("notes"), 0, Long.MAX_VALUE, 100)).containsExactlyElementsOf(deltas);
  }

  @Test
  void aTypedTableHoldsValuesTypesAndNulls() throws Exception {
    String gw = "gw-typed";
    TableSchema schema = new TableSchema("todos", List.of(
        new TableSchema.Column("title", ColumnType.STRING),
        new TableSchema.Column("done", ColumnType.BOOLEAN),
        new TableSchema.Column("rank", ColumnType.NUMBER),
        new TableSchema.Column("meta", ColumnType.JSON)));
    List<Accepted> deltas = List.of(
        accepted("todos", "t1", WALL, 1, Op.INSERT, column("title", "\"buy milk\""), column("done", "false"),
            column("rank", "3"), column("meta", "{\"tags\":[1,2]}")),
        accepted("todos", "t2", WALL, 2, Op.INSERT, column("title", "null"), column("rank", "-0.25")),
        accepted("todos", "t1", WALL, 3, Op.UPDATE, column("done", "true")),
        // buffered before the schema was registered: a value of another type, and an escaped string
        accepted("todos", "t3", WALL, 4, Op.INSERT, column("rank", "\"high\""), column("title", "\"caf\\u00e9\"")));
    lake().flush(new FlushPlan(gw, 1, deltas.get(3).stamp(), deltas, Map.of("todos", schema)));

    Table table = table("todos");
    assertThat(table.schema().findType("done").typeId().name()).isEqualTo("BOOLEAN");
    assertThat(table.schema().findType("rank").typeId().name()).isEqualTo("DOUBLE");
    assertThat(table.schema().findType("title").typeId().name()).isEqualTo("STRING");
    List<Record> rows = rows(table);
    assertThat(rows).hasSize(4);
    assertThat(rows.get(0).getField("title")).isEqualTo("buy milk");
    assertThat(rows.get(0).getField("done")).isEqualTo(false);
    assertThat(rows.get(0).getField("rank")).isEqualTo(3.0);
    assertThat(rows.get(0).getField("meta")).isEqualTo("{\"tags\":[1,2]}");
    assertThat(rows.get(1).getField("title")).isNull();
    assertThat(rows.get(1).getField("columns")).as("typed columns set to null").isEqualTo("{\"title\":null}");
    assertThat(rows.get(0).getField("columns")).isNull();
    assertThat(rows.get(1).getField("done")).isNull();
    assertThat(rows.get(1).getField("rank")).isEqualTo(-0.25);
    assertThat(rows.get(2).getField("done")).isEqualTo(true);
    assertThat(rows.get(2).getField("title")).isNull();

    // Back from the lake, a delta carries the columns it set, nulls included, and no others.
    assertThat(rows.get(3).getField("title")).isEqualTo("café");
    assertThat(rows.get(3).getField("rank")).isNull();
    assertThat(rows.get(3).getField("columns")).as("a value that does not fit its column").isEqualTo("{\"rank\":\"high\"}");

    List<Accepted> read = lake().read(gw, List.of("todos"), 0, Long.MAX_VALUE, 100);
    assertThat(read).hasSize(4);
    assertThat(read.get(0)).isEqualTo(deltas.get(0));
    assertThat(read.get(1).delta().columns()).containsExactlyInAnyOrder(column("title", "null"), column("rank", "-0.25"));
    assertThat(read.get(2)).isEqualTo(deltas.get(2));
    assertThat(read.get(3).delta().columns()).containsExactlyInAnyOrder(column("title", "\"café\""),
        column("rank", "\"high\""));
  }

  @Test
  void aRetriedFlushFindsItsSnapshotAndWritesNothingTwice() throws Exception {
    String gw = "gw-retry";
    List<Accepted> deltas = List.of(
        accepted("events", "e1", WALL, 1, Op.INSERT, column("n", "1")),
        accepted("events", "e2", WALL, 2, Op.INSERT, column("n", "2")));
    FlushPlan plan = new FlushPlan(gw, 7, deltas.get(1).stamp(), deltas, Map.of());
    FlushResult first = lake().flush(plan);
    // Another gateway commits to the same table in between.
    lake().flush(new FlushPlan("gw-other", 1, deltas.get(1).stamp(),
        List.of(accepted("events", "x", WALL, 9, Op.INSERT)), Map.of()));

    FlushResult again = lake().flush(plan);

    assertThat(again.files()).singleElement().satisfies(file -> {
      assertThat(file.alreadyCommitted()).isTrue();
      assertThat(file.snapshotId()).isEqualTo(first.files().get(0).snapshotId());
      assertThat(file.rows()).isEqualTo(2);
    });
    assertThat(rows(table("events"))).hasSize(3);
    List<Snapshot> ours = new ArrayList<>();
    table("events").snapshots().forEach(snapshot -> {
      if (gw.equals(snapshot.summary().get(IcebergLake.SUMMARY_GATEWAY))) {
        ours.add(snapshot);
      }
    });
    assertThat(ours).singleElement()
        .satisfies(snapshot -> assertThat(snapshot.summary()).containsEntry(IcebergLake.SUMMARY_SEQ, "7"));
    assertThat(lake().read(gw, List.of("events"), 0, Long.MAX_VALUE, 100)).containsExactlyElementsOf(deltas);
  }

  @Test
  void deltasAcrossMidnightGoToOneFilePerDayAndReadBackInStampOrder() throws Exception {
    String gw = "gw-days";
    long beforeMidnight = (WALL / DAY_MS + 1) * DAY_MS - 2;
    List<Accepted> deltas = List.of(
        accepted("log", "a", beforeMidnight, 0, Op.INSERT, column("v", "\"a\"")),
        accepted("log", "b", beforeMidnight, 1, Op.INSERT, column("v", "\"b\"")),
        accepted("log", "c", beforeMidnight, 2, Op.INSERT, column("v", "\"c\"")),
        accepted("log", "d", beforeMidnight, 3, Op.INSERT, column("v", "\"d\"")));
    FlushResult result = lake().flush(new FlushPlan(gw, 1, deltas.get(3).stamp(), deltas, Map.of()));

    assertThat(result.files()).hasSize(2).extracting(FlushResult.DataFileWritten::rows).containsExactlyInAnyOrder(2L, 2L);
    assertThat(lake().read(gw, List.of("log"), deltas.get(0).stamp(), Long.MAX_VALUE, 100))
        .containsExactlyElementsOf(deltas.subList(1, 4));
    // A page of 1 comes back with one more, which tells the caller there is more.
    assertThat(lake().read(gw, List.of("log"), 0, Long.MAX_VALUE, 1)).containsExactlyElementsOf(deltas.subList(0, 2));
    assertThat(lake().read(gw, List.of("log"), 0, deltas.get(1).stamp(), 100)).containsExactlyElementsOf(deltas.subList(0, 2));
  }

  @Test
  void sixteenGatewaysFlushingIntoOneTableAtOnceLandEveryRowExactlyOnce() throws Exception {
    int gateways = 16;
    int flushes = 3;
    int perFlush = 10;
    String table = "shared";
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<FlushResult>>> running = new ArrayList<>();
    Map<String, List<Accepted>> sent = new LinkedHashMap<>();
    try {
      for (int g = 0; g < gateways; g++) {
        String gw = "gw-many-" + g;
        List<List<Accepted>> plans = new ArrayList<>();
        for (int f = 0; f < flushes; f++) {
          List<Accepted> deltas = new ArrayList<>();
          for (int d = 0; d < perFlush; d++) {
            int n = (f * perFlush + d) * gateways + g; // every gateway's stamps interleave with the others'
            deltas.add(accepted(table, gw + "-r" + n, WALL, n, Op.INSERT, column("n", Integer.toString(n))));
          }
          plans.add(deltas);
        }
        sent.put(gw, plans.stream().flatMap(List::stream).toList());
        running.add(pool.submit(() -> {
          start.await();
          List<FlushResult> results = new ArrayList<>();
          for (int f = 0; f < flushes; f++) {
            List<Accepted> deltas = plans.get(f);
            results.add(lake().flush(new FlushPlan(gw, f + 1, deltas.get(deltas.size() - 1).stamp(), deltas, Map.of())));
          }
          return results;
        }));
      }
      start.countDown();
      Map<String, List<FlushResult>> results = new LinkedHashMap<>();
      for (int g = 0; g < gateways; g++) {
        results.put("gw-many-" + g, running.get(g).get(2, TimeUnit.MINUTES));
      }
      Table shared = table(table);
      results.forEach((gw, flushed) -> {
        for (FlushResult result : flushed) {
          assertThat(result.rows()).isEqualTo(perFlush);
          assertThat(result.commitRetries()).isNotNegative();
          // Each result names its own snapshot, whatever the others committed right after it.
          assertThat(result.files()).singleElement().satisfies(file -> {
            assertThat(file.alreadyCommitted()).isFalse();
            assertThat(shared.snapshot(file.snapshotId()).summary())
                .containsEntry(IcebergLake.SUMMARY_GATEWAY, gw)
                .containsEntry(IcebergLake.SUMMARY_SEQ, Long.toString(result.seq()));
          });
        }
      });
      for (Map.Entry<String, List<Accepted>> gateway : sent.entrySet()) {
        assertThat(lake().read(gateway.getKey(), List.of(table), 0, Long.MAX_VALUE, 1_000))
            .containsExactlyElementsOf(gateway.getValue());
      }
      List<Object> deltaIds = rows(shared).stream().map(row -> row.getField("deltaId")).toList();
      assertThat(deltaIds).hasSize(gateways * flushes * perFlush).doesNotHaveDuplicates();
      assertThat(shared.properties()).containsAllEntriesOf(IcebergLake.COMMIT_RETRIES);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTableMadeWithoutCommitRetriesGetsThemOnItsNextFlushAndKeepsValuesSetOnPurpose() throws Exception {
    Schema schema = DeltaRecords.icebergSchema(null);
    Table old = lake().catalog().createTable(TableIdentifier.of(IcebergLake.NAMESPACE, "older"), schema,
        DeltaRecords.partitionSpec(schema), Map.of(TableProperties.FORMAT_VERSION, "2",
            TableProperties.COMMIT_NUM_RETRIES, "7"));
    assertThat(old.properties()).doesNotContainKey(TableProperties.COMMIT_MIN_RETRY_WAIT_MS);
    List<Accepted> deltas = List.of(accepted("older", "o1", WALL, 1, Op.INSERT));

    lake().flush(new FlushPlan("gw-older", 1, deltas.get(0).stamp(), deltas, Map.of()));

    assertThat(table("older").properties())
        .containsEntry(TableProperties.COMMIT_NUM_RETRIES, "7")
        .containsEntry(TableProperties.COMMIT_MIN_RETRY_WAIT_MS, "5")
        .containsEntry(TableProperties.COMMIT_MAX_RETRY_WAIT_MS, "500");
    assertThat(lake().read("gw-older", List.of("older"), 0, Long.MAX_VALUE, 10)).containsExactlyElementsOf(deltas);
  }

  @Test
  void aReadAfterAnotherFlushSeesThatFlush() throws Exception {
    String gw = "gw-again";
    List<Accepted> first = List.of(accepted("again", "a0", WALL, 0, Op.INSERT), accepted("again", "a1", WALL, 1, Op.INSERT));
    lake().flush(new FlushPlan(gw, 1, first.get(1).stamp(), first, Map.of()));
    assertThat(lake().read(gw, List.of("again"), 0, Long.MAX_VALUE, 10)).containsExactlyElementsOf(first);

    // the table the first read used is kept for reads: it must come back with the new commit
    List<Accepted> second = List.of(accepted("again", "a2", WALL, 2, Op.INSERT));
    lake().flush(new FlushPlan(gw, 2, second.get(0).stamp(), second, Map.of()));
    lake().flush(new FlushPlan("gw-again-other", 1, second.get(0).stamp(), List.of(accepted("again", "o0", WALL, 3, Op.INSERT)),
        Map.of()));
    assertThat(lake().read(gw, List.of("again"), first.get(1).stamp(), Long.MAX_VALUE, 10)).containsExactlyElementsOf(second);
    assertThat(lake().read(gw, List.of("again"), 0, Long.MAX_VALUE, 10))
        .containsExactly(first.get(0), first.get(1), second.get(0));
  }

  @Test
  void aPageFromTheMiddleOfManyFlushesAndTablesIsTheRowsRightAfterTheCursor() throws Exception {
    String gw = "gw-pages";
    List<Accepted> all = new ArrayList<>();
    for (int f = 0; f < 4; f++) {
      List<Accepted> deltas = new ArrayList<>();
      for (int d = 0; d < 20; d++) {
        int n = f * 20 + d;
        deltas.add(accepted(n % 2 == 0 ? "pages-a" : "pages-b", "p" + n, WALL, n, Op.INSERT));
      }
      lake().flush(new FlushPlan(gw, f + 1, deltas.get(deltas.size() - 1).stamp(), deltas, Map.of()));
      all.addAll(deltas);
    }
    List<String> tables = List.of("pages-a", "pages-b");

    // A cursor inside flush 2: the page's rows come from both tables and end inside flush 3, plus one more.
    assertThat(lake().read(gw, tables, all.get(25).stamp(), Long.MAX_VALUE, 30))
        .containsExactlyElementsOf(all.subList(26, 57));
    // Up to the flush point only, and a page that ends exactly at a flush's end.
    assertThat(lake().read(gw, tables, all.get(9).stamp(), all.get(49).stamp(), 100))
        .containsExactlyElementsOf(all.subList(10, 50));
    assertThat(lake().read(gw, tables, 0, Long.MAX_VALUE, 39)).containsExactlyElementsOf(all.subList(0, 40));
    assertThat(lake().read(gw, tables, all.get(79).stamp(), Long.MAX_VALUE, 10)).isEmpty();
  }
}
