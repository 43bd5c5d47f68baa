package io.lakeshard.core.flush;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import java.util.Collection;
import java.util.List;

/**
 * Where a gateway's flushed deltas go and come back from. Calls block (object store and
 * catalogue I/O); the entity runs them on the lake dispatcher and gets results as messages.
 */
public interface GatewayLake {

  /** Writes and commits a plan; idempotent per (gateway, seq), so a retry never duplicates rows. */
  FlushResult flush(FlushPlan plan) throws Exception;

  /**
   * The gateway's flushed deltas of {@code tables} stamped in ({@code since}, {@code upTo}], in
   * stamp order, at most {@code limit} (one more tells the caller there is more).
   */
  List<Accepted> read(String gatewayId, Collection<String> tables, long since, long upTo, int limit) throws Exception;
}
