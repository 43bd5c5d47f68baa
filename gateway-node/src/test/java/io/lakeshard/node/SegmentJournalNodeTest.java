package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.rowIds;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.node.journal.SegmentJournals;
import io.lakeshard.node.journal.SegmentStore;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node on the segment journal: a data dir whose events are in the H2 journal is migrated at
 * its first start with it (nothing lost, the sequence numbers go on), and the journal stays
 * bounded as gateways flush: events up to each snapshot deleted, emptied segments removed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SegmentJournalNodeTest {
  private static final String GATEWAY = "segmented";
  private static final String PERSISTENCE_ID = "SyncGateway|" + GATEWAY;
  private static final Map<String, Object> JDBC = Map.of("lakeshard.journal.type", "jdbc",
      "lakeshard.gateway.flush.max-buffer-age", "1h");
  /** Small segments, so that a few flushes roll and compact them. */
  private static final Map<String, Object> SEGMENT = Map.of("lakeshard.journal.type", "segment",
      "segment-journal.segment-bytes", "4KiB", "lakeshard.gateway.flush.max-buffer-age", "1h");

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

  private void restart(Map<String, Object> settings) throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    node = TestNode.start(dataDir, settings);
  }

  private SegmentStore store() {
    return SegmentJournals.store(Adapter.toClassic(node.system()));
  }

  @Test
  void eventsInTheH2JournalAreCopiedOverAtTheFirstStartAndGoOnFromThere() throws Exception {
    restart(JDBC);
    for (int i = 0; i < 5; i++) {
      pushOne();
    }
    Path segments = dataDir.resolve("journal").resolve("segments");
    assertThat(segments).doesNotExist();

    restart(SEGMENT);
    assertThat(segments).isDirectory();
    assertThat(store().liveEvents(PERSISTENCE_ID)).isEqualTo(5);
    long migratedHighest = store().highestSequenceNr(PERSISTENCE_ID);
    assertThat(migratedHighest).isGreaterThanOrEqualTo(5);
    assertThat(rowIds(http.pullAll(GATEWAY, 1000))).containsExactlyElementsOf(pushed);
    pushOne();
    assertThat(store().highestSequenceNr(PERSISTENCE_ID)).isEqualTo(migratedHighest + 1);

    restart(SEGMENT); // the migration ran once: the segments are the journal now
    assertThat(store().liveEvents(PERSISTENCE_ID)).isEqualTo(6);
    assertThat(rowIds(http.pullAll(GATEWAY, 1000))).containsExactlyElementsOf(pushed);
  }

  @Test
  void flushesDeleteTheEventsBeforeTheirSnapshotAndEmptiedSegmentsGo() throws Exception {
    restart(SEGMENT);
    TestProbe<Void> waiter = TestProbe.create(node.system());
    for (int flush = 1; flush <= 4; flush++) {
      for (int i = 0; i < 20; i++) {
        pushOne();
      }
      HttpResponse<String> flushed = http.post("/v1/admin/flush/" + GATEWAY, TestNode.adminToken("ops", GATEWAY), "");
      assertThat(flushed.statusCode()).as(flushed.body()).isEqualTo(200);
      waiter.awaitAssert(Duration.ofSeconds(20), () -> {
        assertThat(store().liveEvents(PERSISTENCE_ID)).isZero();
        return null;
      });
    }
    long highest = store().highestSequenceNr(PERSISTENCE_ID);
    // 80 pushes of ~250 bytes each rolled 4 KiB segments; all but the active one held only deleted events.
    // The writer thread removes them right after it applies the deletion the index already shows.
    waiter.awaitAssert(Duration.ofSeconds(20), () -> {
      assertThat(store().segmentFiles()).hasSize(1);
      try (var files = Files.list(dataDir.resolve("journal").resolve("segments"))) {
        assertThat(files.count()).isEqualTo(1);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return null;
    });
    pushOne();
    pushOne();
    assertThat(store().liveEvents(PERSISTENCE_ID)).isEqualTo(2);

    restart(SEGMENT);
    assertThat(store().highestSequenceNr(PERSISTENCE_ID)).isEqualTo(highest + 2);
    for (int limit : new int[] {1000, 7}) {
      assertThat(rowIds(http.pullAll(GATEWAY, limit))).as("limit " + limit).containsExactlyElementsOf(pushed);
    }
  }

  private void pushOne() throws Exception {
    http.pushNumberedRow(GATEWAY, pushed.size());
    pushed.add("r" + pushed.size());
  }

}
