package io.lakeshard.core.journal;

import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Recovery;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;

/**
 * Deletes an entity's events up to a snapshot it has saved, and the snapshots before it, then
 * stops. Pekko 1.2.1's typed API deletes events on snapshot only with count-based retention
 * ({@code snapshotEvery(n)}), which cannot follow a snapshot taken at each flush; this classic
 * persistent actor of the same persistence id does it with the public deletion API. It never
 * writes, and replays nothing: {@link Recovery#none()} only reads the highest sequence number,
 * which {@code deleteMessages} needs to be at least {@code upTo}.
 */
public final class JournalPruner extends AbstractPersistentActor {
  private final String persistenceId;
  private final long upTo;
  private int pending = 2;

  private JournalPruner(String persistenceId, long upTo) {
    this.persistenceId = persistenceId;
    this.upTo = upTo;
  }

  /** Only once the snapshot at {@code upTo} is saved: then nothing before it is needed to recover. */
  public static Props props(String persistenceId, long upTo) {
    return Props.create(JournalPruner.class, () -> new JournalPruner(persistenceId, upTo));
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public Recovery recovery() {
    return Recovery.none();
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(RecoveryCompleted.class, done -> {
          deleteMessages(upTo);
          deleteSnapshots(SnapshotSelectionCriteria.create(upTo - 1, Long.MAX_VALUE));
        })
        .build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(DeleteMessagesSuccess.class, done -> finished())
        .match(DeleteSnapshotsSuccess.class, done -> finished())
        .match(DeleteMessagesFailure.class, failed -> {
          // The next flush deletes again, up to its own snapshot; nothing is lost meanwhile.
          getContext().getSystem().log().warning("{}: deleting events up to {} failed: {}", persistenceId, upTo,
              failed.cause().toString());
          finished();
        })
        .match(DeleteSnapshotsFailure.class, failed -> {
          getContext().getSystem().log().warning("{}: deleting snapshots before {} failed: {}", persistenceId, upTo,
              failed.cause().toString());
          finished();
        })
        .build();
  }

  private void finished() {
    if (--pending == 0) {
      getContext().stop(getSelf());
    }
  }
}
