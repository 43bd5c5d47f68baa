package io.lakeshard.core.stream;

import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.stream.StreamProtocol.ForkPoint;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Producer;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.util.List;

/**
 * What a stream's journal holds. Journals written before the entity was renamed name these
 * {@code io.lakeshard.core.stream.Stream$...}; {@link LegacyStreamNames} maps them here.
 */
public sealed interface StreamEvent extends CborSerializable {

  /**
   * The stream exists from {@code start} (zero, or a fork's offset) with a fork's inherited
   * {@code segments} and hot {@code messages} (inherited and initial).
   */
  record StreamCreated(String contentType, Long ttlSeconds, String expiresAt, boolean closed, ForkPoint fork,
                       String start, List<Segment> segments, List<Message> messages, long atMillis)
      implements StreamEvent {}

  record MessageAppended(Message message, String seq, Producer producer, boolean close, long atMillis)
      implements StreamEvent {}

  record StreamClosed(Producer producer, long atMillis) implements StreamEvent {}

  record StreamDeleted(long atMillis) implements StreamEvent {}

  /** Deleted by a client while it has forks: kept for them, gone for everyone else. */
  record StreamSoftDeleted(long atMillis) implements StreamEvent {}

  record ForkAttached(String fork) implements StreamEvent {}

  record ForkDetached(String fork) implements StreamEvent {}

  /** The segment's object is durable in the lake: its messages leave the hot tail. */
  record SegmentSealed(Segment segment) implements StreamEvent {}

  /**
   * A change the {@code __registry__} stream must learn: journaled with the create or delete it
   * records (one atomic write), so it survives a crash until {@link RegistryRecorded} says it landed.
   */
  record RegistryChange(boolean created, String contentType, long atMillis) implements StreamEvent {}

  /**
   * {@code change}, the oldest pending {@link RegistryChange}, is in the registry. Journals written
   * before it was named have none (null): those recorded whatever was oldest.
   */
  record RegistryRecorded(long atMillis, RegistryChange change) implements StreamEvent {}
}
