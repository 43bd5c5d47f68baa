package io.lakeshard.core.eventstore;

import java.util.List;

/**
 * Where a store's flushed events go and come back from. Calls block (object store and catalogue
 * I/O): the entity runs them through {@link io.lakeshard.core.lake.OffActor} and gets the results
 * as messages.
 */
public interface EventLogLake {

  /**
   * Writes and commits one flush. Idempotent: events of the flush the lake already holds for the
   * store (an earlier attempt committed, then the node crashed before the journal recorded it)
   * are not written again, and the result says how many were found.
   */
  EventFlushResult append(EventFlush flush) throws Exception;

  /**
   * The store's flushed events of incarnation {@code backendId} with seqNum above
   * {@code afterSeqNum}, ascending, at most {@code limit}.
   */
  List<StoredEvent> read(String storeId, String backendId, long afterSeqNum, int limit) throws Exception;
}
