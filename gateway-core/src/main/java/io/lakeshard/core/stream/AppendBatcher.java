package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamEvent.MessageAppended;
import io.lakeshard.core.stream.StreamProtocol.AppendBatch;
import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.AppendSpec;
import io.lakeshard.core.stream.StreamProtocol.Command;
import io.lakeshard.core.stream.StreamProtocol.FlushAppends;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Group commit of a stream's plain appends (no producer, no close), as the gateway groups pushes:
 * an append is decided against the state the open batch leaves ({@link #tail}, {@link #lastSeq})
 * and joins it; the batch becomes one journal write when {@link FlushAppends} comes round, sent
 * when it opened, so every append already in the mailbox (and every one Pekko stashed during the
 * previous write) joins it. Each append is answered once that write is durable, with the offset it
 * would have had alone.
 *
 * <p>While a batch is open, or anything waits behind one, every other client command waits in the
 * entity's stash (arrival order kept), and so does an append that would overflow the batch; past
 * {@code maxWaiting} the next is refused OVERLOADED rather than dropped by a full stash. The
 * batch's write unstashes them all, against the state it left.
 */
final class AppendBatcher {
  private final StreamSettings.AppendBatching limits;
  private final ActorRef<Command> self;
  private List<MessageAppended> events = new ArrayList<>();
  private List<ActorRef<AppendReply>> replyTo = new ArrayList<>();
  private long bytes;
  /** The batch's last Stream-Seq (null: none in it). */
  private String lastSeq;
  /** Commands in the stash behind the batch (the entity keeps this across restarts, as Pekko keeps its stash). */
  private int waiting;

  AppendBatcher(StreamSettings.AppendBatching limits, ActorRef<Command> self) {
    this.limits = limits;
    this.self = self;
  }

  /** Whether an append goes through a batch at all: a producer's or a close's outcome is for after the batch. */
  static boolean batchable(AppendSpec spec) {
    return spec.producer() == null && !spec.close();
  }

  /** Whether a client command must wait behind the open batch (or behind others that do). */
  boolean mustWait() {
    return waiting > 0 || !events.isEmpty();
  }

  /** The same for an append: unless it joins the open batch. */
  boolean mustWait(AppendSpec spec) {
    return waiting > 0 || (!events.isEmpty()
        && (!batchable(spec) || bytes + spec.data().length > limits.maxBytes() || events.size() >= limits.maxAppends()));
  }

  /** Whether one more command may wait (else it is refused as overloaded); counts it when it may. */
  boolean admitWaiting() {
    if (waiting >= limits.maxWaiting()) {
      return false;
    }
    waiting++;
    return true;
  }

  int waiting() {
    return waiting;
  }

  /** The stream's tail once the open batch is journaled. */
  String tail(StreamState state) {
    return events.isEmpty() ? state.tail : events.get(events.size() - 1).message().offset();
  }

  /** The last Stream-Seq once the open batch is journaled. */
  String lastSeq(StreamState state) {
    return lastSeq != null ? lastSeq : state.lastSeq;
  }

  /** Whether the open batch sets a Stream-Seq (one not durable yet). */
  boolean holdsSeq() {
    return lastSeq != null;
  }

  /** Adds a decided append; the first of a batch sends the flush. */
  void add(MessageAppended event, ActorRef<AppendReply> to) {
    if (events.isEmpty()) {
      self.tell(FlushAppends.INSTANCE);
    }
    events.add(event);
    replyTo.add(to);
    bytes += event.message().data().length;
    if (event.seq() != null) {
      lastSeq = event.seq();
    }
  }

  /** The open batch, to journal (null when none); the next append opens a new one. */
  AppendBatch take() {
    if (events.isEmpty()) {
      return null;
    }
    AppendBatch batch = new AppendBatch(events, replyTo);
    events = new ArrayList<>();
    replyTo = new ArrayList<>();
    bytes = 0;
    lastSeq = null;
    return batch;
  }

  /** The stash is about to be emptied (each command in it is handled again, or waits again). */
  void unstashing() {
    waiting = 0;
  }
}
