package io.lakeshard.core.gateway;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.paging.Pages;
import io.lakeshard.core.rules.RowFilter;
import java.util.ArrayList;
import java.util.List;

/**
 * How a pull's page is cut from the deltas the ledger read, in stamp order. The cursor of a page
 * with more to come is where the next page must start: the last delta returned when the page is
 * full (or cut to {@code max-bytes}), else the last delta read, allowed or not. So no allowed
 * delta is ever skipped, and a client whose rules filter out long runs of deltas still advances
 * and ends, one read window per page.
 */
final class PullPages {
  private PullPages() {}

  /**
   * {@code read}: what the ledger read after the cursor (at most {@code limit} when {@code filter}
   * is {@link RowFilter#ALL}); {@code moreAfter}: deltas follow them; {@code stamped}: the reply
   * carries the page's stamps.
   */
  static SyncGateway.PullReply reply(List<Accepted> read, boolean moreAfter, int limit, RowFilter filter,
                                     long maxBytes, long serverHlc, long rulesVersion, boolean stamped) {
    List<Accepted> page = read;
    if (filter != RowFilter.ALL) {
      page = new ArrayList<>(Math.min(limit, read.size()));
      int next = 0;
      while (next < read.size() && page.size() < limit) {
        Accepted accepted = read.get(next++);
        if (filter.allows(accepted.delta())) {
          page.add(accepted);
        }
      }
      if (next < read.size()) {
        return reply(page, true, maxBytes, serverHlc, rulesVersion, last(page), stamped);
      }
    }
    return reply(page, moreAfter, maxBytes, serverHlc, rulesVersion, read.isEmpty() ? serverHlc : last(read), stamped);
  }

  /** The page cut to {@code maxBytes}: a reply crosses the cluster as one remoting message. */
  private static SyncGateway.PullReply reply(List<Accepted> page, boolean hasMore, long maxBytes, long serverHlc,
                                             long rulesVersion, long resumeAt, boolean stamped) {
    int fits = Pages.fitting(page, accepted -> accepted.delta().sizeBytes(), maxBytes);
    if (fits < page.size()) {
      page = page.subList(0, fits);
      hasMore = true;
      resumeAt = last(page);
    }
    List<RowDelta> deltas = page.stream().map(Accepted::delta).toList();
    long[] stamps = stamped ? page.stream().mapToLong(Accepted::stamp).toArray() : null;
    return new SyncGateway.PullReply(deltas, hasMore ? resumeAt : serverHlc, hasMore, rulesVersion, stamps);
  }

  private static long last(List<Accepted> deltas) {
    return deltas.get(deltas.size() - 1).stamp();
  }
}
