package io.lakeshard.core.gateway;

import io.lakeshard.core.checkpoint.CheckpointManifest;
import io.lakeshard.core.checkpoint.CheckpointSettings;
import io.lakeshard.core.gateway.SyncGateway.CheckpointReply;
import io.lakeshard.core.retry.RetryState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A gateway's checkpoint bookkeeping: when the policy calls for one, one at a time, who waits for
 * which, and the backoff after a failure. Owned by the gateway actor, so not thread-safe.
 */
final class CheckpointRuns {
  private final CheckpointSettings settings;
  private final RetryState retry;
  /** Since the last checkpoint started. */
  private int flushes;
  private long changes;
  private boolean running;
  /** Asked for while one ran: run again as soon as it ends. */
  private boolean again;
  /** The snapshot stamp asked for the next run (0: as of then), and the one of the run under way. */
  private long nextAt;
  private long at;
  private List<ActorRef<CheckpointReply>> waiters = new ArrayList<>();
  private List<ActorRef<CheckpointReply>> nextWaiters = new ArrayList<>();

  CheckpointRuns(CheckpointSettings settings) {
    this.settings = settings;
    this.retry = new RetryState(settings.backoff());
  }

  /** A flush of {@code deltas} was recorded: whether the policy calls for a checkpoint now (not while backing off). */
  boolean flushed(long deltas) {
    flushes++;
    changes += deltas;
    return !retry.failing() && settings.due(flushes, changes);
  }

  /**
   * {@code replyTo} hears of the next checkpoint that starts from now on, which is taken at
   * {@code at} (0: as of when it starts); of two asks before it starts, the later one's stamp holds.
   */
  void await(ActorRef<CheckpointReply> replyTo, long at) {
    (running ? nextWaiters : waiters).add(replyTo);
    nextAt = at;
  }

  /** Whether to start one now; while one runs, it is run again once it ends instead. */
  boolean start() {
    if (running) {
      again = true;
      return false;
    }
    running = true;
    again = false;
    at = nextAt;
    nextAt = 0;
    flushes = 0;
    changes = 0;
    return true;
  }

  /** Written: answers who waited for it; returns whether to run again at once. */
  boolean written(CheckpointManifest manifest) {
    retry.succeeded();
    answer(new SyncGateway.CheckpointDone(manifest.snapshotHlc(), manifest.chunkCount(), manifest.totalDeltas()));
    return again;
  }

  /** Failed: everyone waiting hears it (nobody waits through a backoff); returns the delay before the retry. */
  Duration failed(String message) {
    Duration delay = retry.failed();
    if (nextAt == 0) {
      nextAt = at; // the retry keeps a sharded gateway's common stamp
    }
    waiters.addAll(nextWaiters);
    nextWaiters = new ArrayList<>();
    again = false;
    answer(new SyncGateway.CheckpointFailed(message));
    return delay;
  }

  /** The snapshot stamp of the run under way; 0: as of when it started. */
  long at() {
    return at;
  }

  int failures() {
    return retry.failures();
  }

  private void answer(CheckpointReply reply) {
    running = false;
    waiters.forEach(waiter -> waiter.tell(reply));
    waiters = nextWaiters;
    nextWaiters = new ArrayList<>();
  }
}
