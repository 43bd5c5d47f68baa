package io.lakeshard.node.stream;

import io.lakeshard.core.stream.StreamProtocol;

/** What {@link StreamService} decided for a request; each transport maps it to its own answer. */
public sealed interface StreamOutcome {

  /** Refused before the entity was asked: bad input ({@code code} names the rule), credentials, size. */
  record Rejected(Rejection reason, String code, String message) implements StreamOutcome {}

  enum Rejection { BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, TOO_LARGE }

  /** The entity refused. */
  record Refused(StreamProtocol.Refused refused) implements StreamOutcome {}

  record Created(StreamProtocol.Meta meta, boolean isNew) implements StreamOutcome {}

  /** {@code producer}: the writing producer (null without one); {@code closeOnly}: a close without data. */
  record Appended(String offset, boolean closed, StreamProtocol.Producer producer, boolean closeOnly)
      implements StreamOutcome {}

  record Duplicate(StreamProtocol.Duplicate duplicate) implements StreamOutcome {}

  /** A read's page; {@code request} says how it was asked. */
  record Page(StreamService.Read request, StreamProtocol.Chunk chunk) implements StreamOutcome {}

  /** A long-poll found nothing before its timeout. */
  record NothingNew(StreamService.Read request, StreamProtocol.TimedOut timedOut) implements StreamOutcome {}

  /**
   * An SSE read may begin: {@code first} is the entity's first answer (a page, at once), the
   * connection then follows with {@link StreamService#follow}.
   */
  record Subscribed(StreamService.Read request, StreamProtocol.Chunk first) implements StreamOutcome {}

  record Described(StreamProtocol.Meta meta) implements StreamOutcome {}

  record Deleted() implements StreamOutcome {}
}
