package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamProtocol.Append;
import io.lakeshard.core.stream.StreamProtocol.AppendBatch;
import io.lakeshard.core.stream.StreamProtocol.Command;
import io.lakeshard.core.stream.StreamProtocol.Create;
import io.lakeshard.core.stream.StreamProtocol.Delete;
import io.lakeshard.core.stream.StreamProtocol.ForkAnswered;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command whose journal write is in flight, so that recovery can tell whose write failed. It
 * lives in the entity's factory object, which Pekko keeps across the restart a failed write causes.
 *
 * <p>Whether a failed write was stored is unknown (the recovered state tells), so a client's
 * command is refused as not done, to be retried (a producer's retry is deduplicated if it was
 * stored after all); a fork's notice is idempotent and handled again.
 */
final class WriteInFlight {
  private static final Logger log = LoggerFactory.getLogger(WriteInFlight.class);

  private final String streamId;
  private final ActorRef<Command> self;
  private Command persisting;

  WriteInFlight(String streamId, ActorRef<Command> self) {
    this.streamId = streamId;
    this.self = self;
  }

  void started(Command command) {
    persisting = command;
  }

  void done() {
    persisting = null;
  }

  /** After recovery: answers the command whose write failed (if one did) and the appends of {@code open}, a batch never written. */
  void recovered(AppendBatch open) {
    if (persisting != null) {
      log.warn("stream {} recovered after a failed journal write; answering its command as not done", streamId);
      answer(persisting);
      persisting = null;
    }
    if (open != null) {
      refuse(open);
    }
  }

  private void answer(Command failed) {
    Refused refused = notJournaled();
    if (failed instanceof AppendBatch batch) {
      refuse(batch);
    } else if (failed instanceof Create create) {
      create.replyTo().tell(refused);
    } else if (failed instanceof ForkAnswered answer) {
      answer.create().replyTo().tell(refused);
    } else if (failed instanceof Append append) {
      append.replyTo().tell(refused);
    } else if (failed instanceof Delete delete) {
      delete.replyTo().tell(refused);
    } else {
      self.tell(failed);
    }
  }

  private void refuse(AppendBatch batch) {
    Refused refused = notJournaled();
    batch.replyTo().forEach(replyTo -> replyTo.tell(refused));
  }

  private Refused notJournaled() {
    return Refused.of(Refusal.JOURNAL_UNAVAILABLE, "stream " + streamId
        + " could not journal the write; it was not acknowledged, retry it");
  }
}
