package io.lakeshard.node.stream;

import io.lakeshard.core.stream.DurableStream;

/** What {@link StreamService} decided for a request; each transport maps it to its own answer. */
public sealed interface StreamOutcome {

  /** Refused before the entity was asked: bad input ({@code code} names the rule), credentials, size. */
  record Rejected(Rejection reason, String code, String message) implements StreamOutcome {}

  enum Rejection { BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, TOO_LARGE }

  /** The entity refused. */
  record Refused(DurableStream.Refused refused) implements StreamOutcome {}

  record Created(DurableStream.Meta meta, boolean isNew) implements StreamOutcome {}

  /** {@code producer}: the writing producer (null without one); {@code closeOnly}: a close without data. */
  record Appended(String offset, boolean closed, DurableStream.Producer producer, boolean closeOnly)
      implements StreamOutcome {}

  record Duplicate(DurableStream.Duplicate duplicate) implements StreamOutcome {}

  /** A read's page; {@code request} says how it was asked. */
  record Page(StreamService.Read request, DurableStream.Chunk chunk) implements StreamOutcome {}

  /** A long-poll found nothing before its timeout. */
  record NothingNew(StreamService.Read request, DurableStream.TimedOut timedOut) implements StreamOutcome {}

  /**
   * An SSE read may begin: {@code first} is the entity's first answer (a page, at once), the
   * connection then follows with {@link StreamService#follow}.
   */
  record Subscribed(StreamService.Read request, DurableStream.Chunk first) implements StreamOutcome {}

  record Described(DurableStream.Meta meta) implements StreamOutcome {}

  record Deleted() implements StreamOutcome {}
}
