package io.lakeshard.node.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lakeshard.core.flush.FlushResult;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.node.http.UnsignedHlc;
import java.util.List;

/** The admin routes' response bodies, written by Jackson. */
final class AdminBodies {
  private AdminBodies() {}

  /** GET /v1/admin/metrics/{gw}, LakeSync's names (its DO adds {@code peakBufferBytes}), then Lakeshard's. */
  record Metrics(int logSize, int indexSize, long byteSize, long peakBufferBytes, @UnsignedHlc long serverHlc,
                 int sessions, long lastFlushSeq, @UnsignedHlc long flushedUpTo) {
    static Metrics of(SyncGateway.Stats stats) {
      return new Metrics(stats.bufferedDeltas(), stats.rows(), stats.bufferedBytes(), stats.peakBufferBytes(),
          stats.serverHlc(), stats.sessions(), stats.lastFlushSeq(), stats.flushedUpTo());
    }
  }

  /** POST /v1/admin/flush/{gw}: what was written; {@code seq} only when something was. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Flushed(boolean flushed, Long seq, long rows, long bytes, List<File> files) {
    static Flushed of(SyncGateway.FlushReply reply) {
      if (reply instanceof SyncGateway.FlushDone done) {
        FlushResult result = done.result();
        return new Flushed(true, result.seq(), result.rows(), result.bytes(),
            result.files().stream().map(File::of).toList());
      }
      return new Flushed(false, null, 0, 0, List.of());
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
  record Checkpointed(String snapshotHlc, int chunks, int rows) {}

  /** POST /v1/admin/schema/{gw}. */
  record SchemaSaved(boolean saved, String table, int columns) {}

  /** POST /v1/admin/sync-rules/{gw}, as LakeSync answers it. */
  record RulesSaved(boolean saved) {}

  /** GET /health. */
  record Health(String status) {}
}
