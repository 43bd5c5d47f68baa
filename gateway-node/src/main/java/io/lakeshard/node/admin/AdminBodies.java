package io.lakeshard.node.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.node.metrics.NodeMetrics;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.node.http.UnsignedHlc;
import io.lakeshard.node.sync.GatewayShards;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The admin routes' response bodies, written by Jackson. */
final class AdminBodies {
  private AdminBodies() {}

  /**
   * GET /v1/admin/metrics/{gw}, LakeSync's names (its DO adds {@code peakBufferBytes}), then
   * Lakeshard's. A sharded gateway's shards summed (every session joins every shard, so
   * {@code sessions} is the most any shard has; {@code serverHlc} the latest clock;
   * {@code lastFlushSeq} counts every shard's flushes; {@code flushedUpTo} the earliest).
   */
  record Metrics(int logSize, int indexSize, long byteSize, long peakBufferBytes, @UnsignedHlc long serverHlc,
                 int sessions, long lastFlushSeq, @UnsignedHlc long flushedUpTo) {
    static Metrics of(List<SyncGateway.Stats> shards) {
      Metrics sum = new Metrics(0, 0, 0, 0, 0, 0, 0, -1); // HLCs are unsigned: -1 is the latest
      for (SyncGateway.Stats stats : shards) {
        sum = new Metrics(sum.logSize + stats.bufferedDeltas(), sum.indexSize + stats.rows(),
            sum.byteSize + stats.bufferedBytes(), sum.peakBufferBytes + stats.peakBufferBytes(),
            Long.compareUnsigned(sum.serverHlc, stats.serverHlc()) >= 0 ? sum.serverHlc : stats.serverHlc(), Math.max(sum.sessions, stats.sessions()),
            sum.lastFlushSeq + stats.lastFlushSeq(), Long.compareUnsigned(sum.flushedUpTo, stats.flushedUpTo()) <= 0 ? sum.flushedUpTo : stats.flushedUpTo());
      }
      return sum;
    }
  }

  /**
   * POST /v1/admin/flush/{gw}: what was written; {@code seq} only when something was;
   * {@code commitRetries}: commit attempts that lost a race with another writer and were retried.
   * A sharded gateway's: every shard's rows, bytes, files and retries together, {@code seq} the highest shard's.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Flushed(boolean flushed, Long seq, long rows, long bytes, List<File> files, int commitRetries) {
    static Flushed of(List<SyncGateway.FlushReply> shards) {
      Flushed sum = new Flushed(false, null, 0, 0, List.of(), 0);
      for (SyncGateway.FlushReply reply : shards) {
        if (reply instanceof SyncGateway.FlushDone done) {
          FlushResult result = done.result();
          List<File> files = new ArrayList<>(sum.files);
          result.files().forEach(file -> files.add(File.of(file)));
          sum = new Flushed(true, sum.seq == null ? result.seq() : Math.max(sum.seq, result.seq()),
              sum.rows + result.rows(), sum.bytes + result.bytes(), List.copyOf(files),
              sum.commitRetries + result.commitRetries());
        }
      }
      return sum;
    }
  }

  /** One committed file; the Iceberg snapshot id as a string, as JavaScript cannot hold it as a number. */
  record File(String table, String file, long rows, long bytes, String snapshotId, boolean alreadyCommitted) {
    static File of(FlushResult.DataFileWritten file) {
      return new File(file.table(), file.location(), file.rows(), file.bytes(), Long.toString(file.snapshotId()),
          file.alreadyCommitted());
    }
  }

  /** POST /v1/admin/checkpoint/{gw}: the latest checkpoint; {@code snapshotHlc} as the download's X-Checkpoint-Hlc. */
  record Checkpointed(String snapshotHlc, int chunks, int rows) {
    /** A sharded gateway's shards' checkpoints together: one snapshot stamp, their chunks and rows added up. */
    static Checkpointed of(List<SyncGateway.CheckpointReply> written) {
      List<SyncGateway.CheckpointDone> done = written.stream().map(SyncGateway.CheckpointDone.class::cast).toList();
      return new Checkpointed(done.get(0).snapshotHlc(), done.stream().mapToInt(SyncGateway.CheckpointDone::chunks).sum(),
          done.stream().mapToInt(SyncGateway.CheckpointDone::rows).sum());
    }
  }

  /**
   * GET /v1/admin/shards/{gw}: the entity of the gateway's unlisted tables (its own id), and each
   * named shard's entity and tables; no shards when the gateway is not sharded.
   */
  record ShardMap(String gatewayId, boolean sharded, String defaultEntity, List<Shard> shards) {
    static ShardMap of(String gatewayId, Optional<GatewayShards.Layout> layout) {
      List<Shard> shards = layout.map(ShardMap::shards).orElse(List.of());
      return new ShardMap(gatewayId, layout.isPresent(), gatewayId, shards);
    }

    private static List<Shard> shards(GatewayShards.Layout layout) {
      return layout.entityIds().stream()
          .filter(entityId -> !entityId.equals(layout.gatewayId()))
          .map(entityId -> new Shard(entityId.substring(entityId.indexOf(GatewayShards.SEPARATOR) + 1), entityId,
              layout.entityByTable().entrySet().stream()
                  .filter(table -> table.getValue().equals(entityId))
                  .map(Map.Entry::getKey)
                  .sorted()
                  .toList()))
          .toList();
    }
  }

  record Shard(String name, String entity, List<String> tables) {}

  /** POST /v1/admin/schema/{gw}. */
  record SchemaSaved(boolean saved, String table, int columns) {}

  /** POST /v1/admin/sync-rules/{gw}, as LakeSync answers it. */
  record RulesSaved(boolean saved) {}

  /** GET /health. */
  record Health(String status) {}

  /** GET /v1/admin/livestore/{storeId}; {@code lastFlush} null until the store flushed to the lake. */
  record StoreInfo(String storeId, String backendId, long head, long events, int sessions, LastFlush lastFlush) {
    static StoreInfo of(EventStore.Info info) {
      return new StoreInfo(info.storeId(), info.backendId(), info.head(), info.events(), info.subscribers(),
          info.lastFlush().map(flush -> new LastFlush(flush.seq(), flush.upToSeqNum(),
              Instant.ofEpochMilli(flush.atMillis()).toString())).orElse(null));
    }
  }

  record LastFlush(long seq, long upToSeqNum, String at) {}

  /**
   * GET /v1/admin/throughput: this node's totals since it started (pushes served and their
   * accepted deltas, HTTP and WebSocket alike; stream appends journaled), read from its meters. A
   * reader takes two readings and divides by the time between them (the admin page's chart does).
   */
  record Throughput(long pushes, long deltas, long appends, long atMillis) {
    static Throughput of(NodeMetrics metrics) {
      return new Throughput(metrics.sync().pushesServed(), metrics.sync().deltasAccepted(),
          (long) metrics.streams().appends().count(), System.currentTimeMillis());
    }
  }
}
