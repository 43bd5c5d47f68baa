package io.lakeshard.core.stream;

import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.stream.StreamEvent.MessageAppended;
import io.lakeshard.core.stream.StreamEvent.RegistryChange;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What {@link DurableStream} is told and answers: the commands the node sends (create, append,
 * read, head, delete), those streams send each other (a fork's {@link ForkFrom}, {@link AttachFork},
 * {@link DetachFork}), the entity's own messages (timers and I/O results, never serialized), the
 * replies, and the values they carry. The entity's rules and dispatch are in {@link DurableStream}.
 */
public final class StreamProtocol {
  private StreamProtocol() {}


  public sealed interface Command extends CborSerializable {}

  /** An idempotent producer's write: {@code seq} counts from 0 within an {@code epoch}. */
  public record Producer(String id, long epoch, long seq) implements CborSerializable {}

  /** A message and the offset after it (what a reader resumes from). */
  public record Message(String offset, byte[] data) implements CborSerializable {}

  /**
   * A segment index entry: the object at {@code key} holds {@code count} messages ({@code bytes}
   * stored bytes), of which this stream reads those from offset {@code first} to {@code last}
   * (a fork that forked inside its source's segment reads only up to its fork offset).
   */
  public record Segment(long seq, String key, String first, String last, long bytes, int count)
      implements CborSerializable {}

  /**
   * What a PUT asks for. {@code contentType} null: the default, or the source's for a fork;
   * {@code fork} null: a plain stream.
   */
  public record CreateSpec(String contentType, Long ttlSeconds, String expiresAt, boolean closed, byte[] body,
                           ForkPoint fork) implements CborSerializable {}

  /** Fork {@code source} at {@code offset} (null: its tail), plus {@code subOffset} bytes or JSON values into the next message. */
  public record ForkPoint(String source, String offset, int subOffset) implements CborSerializable {}

  public record Create(CreateSpec spec, ActorRef<CreateReply> replyTo) implements Command {}

  /** {@code contentType} as the request carried it (null when it had none). */
  public record AppendSpec(byte[] data, String contentType, String seq, Producer producer, boolean close)
      implements CborSerializable {}

  public record Append(AppendSpec spec, ActorRef<AppendReply> replyTo) implements Command {}

  /**
   * Read after {@code offset} ({@link Offsets#BEGINNING}, {@link Offsets#NOW} or an offset); when
   * {@code live} and there is nothing yet, the reply waits for an append or the long-poll timeout.
   */
  public record Read(String offset, boolean live, ActorRef<ReadReply> replyTo) implements Command {}

  public record Head(ActorRef<HeadReply> replyTo) implements Command {}

  public record Delete(ActorRef<DeleteReply> replyTo) implements Command {}

  /** Asked of a fork's source by the fork: its messages up to the fork point. */
  public record ForkFrom(ForkPoint point, ActorRef<ForkReply> replyTo) implements Command {}

  /** From a fork once it exists: the source keeps its forks, and outlives its deletion while it has any. */
  public record AttachFork(String fork) implements Command {}

  /** From a fork once deleted: a deleted source goes when its last fork does. */
  public record DetachFork(String fork) implements Command {}

  /** Journal the open batch of appends ({@link AppendBatcher}), or let go what waits behind one that failed. */
  enum FlushAppends implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** A batch of appends as journaled in one write, and who waits for each: never sent, it marks the write in flight. */
  record AppendBatch(List<MessageAppended> events, List<ActorRef<AppendReply>> replyTo)
      implements Command, NoSerializationVerificationNeeded {}

  /** The live reads' timer: the oldest waits may be over. */
  enum WaitsDue implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /** A segment write ended: {@code error} null when the lake has the object, and it may join the index. */
  record SegmentWriteDone(Segment segment, Throwable error) implements Command, NoSerializationVerificationNeeded {}

  /** The end of a failed segment write's backoff. */
  enum SealRetry implements Command, NoSerializationVerificationNeeded { INSTANCE }

  /**
   * Segments read for {@code then} (a read or a fork), which is handled again now that the
   * {@code needed} ones are here: {@code read} (those that were not loaded yet) with their messages.
   */
  record SegmentsLoaded(List<Segment> needed, Map<Segment, List<Message>> read, Throwable error, Command then)
      implements Command, NoSerializationVerificationNeeded {}

  /** The fork source's answer to this stream's {@link ForkFrom}, for {@code create}. */
  record ForkAnswered(Create create, ForkReply reply, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  /** The registry's answer to an append of {@code change}. */
  record RegistryAnswered(RegistryChange change, AppendReply reply, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  /** Send the registry outbox's head again (after a backoff, or once the registry was created). */
  enum RegistryRetry implements Command, NoSerializationVerificationNeeded { INSTANCE }

  public record Meta(String contentType, String tail, boolean closed, Long ttlSeconds, String expiresAt)
      implements CborSerializable {}

  public sealed interface CreateReply extends CborSerializable {}

  public sealed interface AppendReply extends CborSerializable {}

  public sealed interface ReadReply extends CborSerializable {}

  public sealed interface HeadReply extends CborSerializable {}

  public sealed interface DeleteReply extends CborSerializable {}

  public sealed interface ForkReply extends CborSerializable {}

  public record Created(Meta meta, boolean isNew) implements CreateReply {}

  /** Appended (or closed); {@code offset} is the new tail. */
  public record Appended(String offset, boolean closed) implements AppendReply {}

  /** A producer's retry of a write already journaled: acknowledged, nothing written. */
  public record Duplicate(String offset, boolean closed, long epoch, long lastSeq) implements AppendReply {}

  /**
   * {@code messages} after the requested offset; {@code next} is where to read on;
   * {@code closedAtTail}: the stream is closed and the reader has everything.
   */
  public record Chunk(Meta meta, List<Message> messages, String next, boolean upToDate, boolean closedAtTail)
      implements ReadReply {}

  /** A live read found nothing new before its timeout. */
  public record TimedOut(Meta meta, String offset) implements ReadReply {}

  public record Described(Meta meta) implements HeadReply {}

  public record Deleted() implements DeleteReply {}

  /** The source's side of a fork: its settings, segments and hot messages up to {@code forkOffset}. */
  public record ForkBase(Meta source, String forkOffset, int subOffset, List<Segment> segments, List<Message> messages)
      implements ForkReply {}

  public enum Refusal {
    NOT_FOUND,
    /** Deleted while forks still read from it: gone for clients, and its id cannot be reused yet. */
    GONE,
    /** PUT on an existing stream with another configuration. */
    CONFLICT,
    INVALID,
    CONTENT_TYPE_MISMATCH,
    /** No usable Content-Type on an append with a body. */
    CONTENT_TYPE_MISSING,
    STREAM_CLOSED,
    /** Stream-Seq not above the last one. */
    SEQ_CONFLICT,
    STALE_EPOCH,
    /** A new producer epoch must start at seq 0. */
    EPOCH_SEQ,
    SEQ_GAP,
    /** A fork's source does not exist. */
    SOURCE_NOT_FOUND,
    /** A fork's source was deleted (its forks keep it for themselves only). */
    SOURCE_GONE,
    /** A segment of the stream (or a fork's source) could not be read now (the client may retry). */
    UNAVAILABLE,
    /** The journal refused the write: it was not acknowledged (it may have been stored); retry after the entity's backoff. */
    JOURNAL_UNAVAILABLE,
    /** Too many commands wait behind the stream's appends in flight: nothing was done; retry. */
    OVERLOADED
  }

  /** Any refusal; the numbers matter only for the producer refusals, {@code tail} for STREAM_CLOSED. */
  public record Refused(Refusal reason, String message, String tail, long currentEpoch, long expectedSeq,
                        long receivedSeq) implements CreateReply, AppendReply, ReadReply, HeadReply, DeleteReply,
      ForkReply {
    static Refused of(Refusal reason, String message) {
      return new Refused(reason, message, null, 0, 0, 0);
    }
  }
}
