package io.lakeshard.node.sync;

import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.gateway.SyncGateway;
import java.util.ArrayList;
import java.util.List;

/**
 * One pull page of a sharded gateway, merged from one stamped page per shard, each asked for
 * {@code limit} deltas after the same cursor.
 *
 * <p>Why the cursor never skips a delta. Each shard {@code s} answers a page {@code P_s} in stamp
 * order and a bound {@code b_s} (its {@code serverHlc}): with {@code hasMore}, {@code P_s} holds
 * every delta of {@code s} its rules allow up to {@code b_s}; without, {@code b_s} is {@code s}'s
 * clock when it answered, and everything {@code s} accepts later is stamped above it. So every
 * delta of every shard stamped at most {@code B = min b_s} is in some {@code P_s}, now and for
 * ever. The page is the deltas stamped at most {@code B}, in stamp order, cut to {@code limit};
 * its cursor is the stamp of the last one taken when cut, else {@code B}.
 *
 * <p>Taking "the last stamp taken" alone is not enough: shards on different nodes (or fed client
 * HLCs from different clocks) do not stamp in the order they acknowledge, so a shard whose clock
 * lags may still accept a delta stamped below what another shard already served. A delta stamped
 * above {@code B} is therefore held back, as if it had not arrived yet: the next pull serves it
 * once the lagging shard's clock has passed it (at most the clocks' skew later). It does not set
 * {@code hasMore} (which would send a client straight back to spin until the clocks agree):
 * {@code hasMore} says a page was cut, here or in a shard, and holds something. A page can be
 * emptied so even when a shard has more: right after a recovery a shard's clock leads the wall
 * clock (clock-skew-allowance) while an idle shard's bound is the wall clock.
 *
 * <p>Shards stamp independently, so two may use the same stamp. A cursor is exclusive, so a page
 * is never cut between deltas of one stamp: it ends before them, or, when they alone would
 * overflow the page (at most one per shard, so only with a limit below the number of shards),
 * holds all of them.
 */
final class ShardPages {
  private ShardPages() {}

  static SyncGateway.PullReply merge(List<SyncGateway.PullReply> pages, int limit) {
    long bound = Long.MAX_VALUE;
    boolean hasMore = false;
    long rulesVersion = 0;
    long lastTaken = 0;
    for (SyncGateway.PullReply page : pages) {
      bound = Math.min(bound, page.serverHlc());
      hasMore |= page.hasMore();
      rulesVersion = Math.max(rulesVersion, page.rulesVersion());
    }
    int[] next = new int[pages.size()];
    List<RowDelta> merged = new ArrayList<>(limit);
    // Where the run of deltas sharing the last taken stamp starts, and the stamp before it.
    int runStart = 0;
    long beforeRun = 0;
    while (true) {
      int from = -1;
      long lowest = Long.MAX_VALUE;
      for (int shard = 0; shard < pages.size(); shard++) {
        long[] stamps = pages.get(shard).stamps();
        if (next[shard] < stamps.length && stamps[next[shard]] < lowest) {
          lowest = stamps[next[shard]];
          from = shard;
        }
      }
      if (from < 0 || lowest > bound) {
        // Emptied by held-back deltas (every one above a lagging shard's clock): no more for now.
        return new SyncGateway.PullReply(merged, bound, hasMore && !merged.isEmpty(), rulesVersion);
      }
      boolean tied = !merged.isEmpty() && lowest == lastTaken;
      if (merged.size() >= limit && !(tied && runStart == 0)) {
        if (!tied) {
          return new SyncGateway.PullReply(merged, lastTaken, true, rulesVersion);
        }
        // A cursor is exclusive: cutting between deltas of one stamp would skip the rest of them.
        return new SyncGateway.PullReply(merged.subList(0, runStart), beforeRun, true, rulesVersion);
      }
      if (!tied) {
        runStart = merged.size();
        beforeRun = lastTaken;
      }
      merged.add(pages.get(from).deltas().get(next[from]++));
      lastTaken = lowest;
    }
  }
}
