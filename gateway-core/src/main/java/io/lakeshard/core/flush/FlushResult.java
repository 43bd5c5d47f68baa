package io.lakeshard.core.flush;

import io.lakeshard.core.CborSerializable;
import java.util.List;

/**
 * What a flush wrote: one data file per table and day. {@code commitRetries}: commit attempts
 * that lost a race with another writer's commit to the same table and were tried again.
 */
public record FlushResult(long seq, long upTo, List<DataFileWritten> files, int commitRetries)
    implements CborSerializable {

  /**
   * One committed file. {@code alreadyCommitted} marks a file found in the table's history from
   * an earlier attempt of the same flush (a crash or an unknown commit state), not written again.
   */
  public record DataFileWritten(String table, String location, long rows, long bytes, long snapshotId,
                                boolean alreadyCommitted) implements CborSerializable {}

  public long rows() {
    return files.stream().mapToLong(DataFileWritten::rows).sum();
  }

  public long bytes() {
    return files.stream().mapToLong(DataFileWritten::bytes).sum();
  }
}
