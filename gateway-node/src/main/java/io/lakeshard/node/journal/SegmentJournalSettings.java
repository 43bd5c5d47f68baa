package io.lakeshard.node.journal;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The segment journal's settings ({@code segment-journal} in application.conf): where its
 * segments live, the size at which the writer starts a new one, how many bytes one group commit
 * writes at most, and the JDBC journal whose events a first start copies over (none: empty url).
 */
public record SegmentJournalSettings(Path dir, long segmentBytes, long maxBatchBytes,
                                     Optional<JdbcSource> migrateFrom) {
  /** Keeps every offset in a segment below 2^31 (a location packs it into 32 bits). */
  private static final long MAX_SEGMENT_BYTES = 1L << 30;

  public record JdbcSource(String url, String user, String password) {}

  public SegmentJournalSettings {
    if (segmentBytes < 4096 || segmentBytes > MAX_SEGMENT_BYTES) {
      throw new IllegalArgumentException("segment-journal.segment-bytes must be between 4 KiB and 1 GiB, not "
          + segmentBytes);
    }
    if (maxBatchBytes < 1 || maxBatchBytes > MAX_SEGMENT_BYTES) {
      throw new IllegalArgumentException("segment-journal.max-batch-bytes must be between 1 B and 1 GiB, not "
          + maxBatchBytes);
    }
  }

  public static SegmentJournalSettings fromConfig(Config journal) {
    String url = journal.getString("migrate-from.url");
    return new SegmentJournalSettings(
        Path.of(journal.getString("dir")),
        journal.getBytes("segment-bytes"),
        journal.getBytes("max-batch-bytes"),
        url.isEmpty() ? Optional.empty() : Optional.of(new JdbcSource(url, journal.getString("migrate-from.user"),
            journal.getString("migrate-from.password"))));
  }
}
