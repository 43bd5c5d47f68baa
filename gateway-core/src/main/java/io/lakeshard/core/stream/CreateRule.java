package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamEvent.RegistryChange;
import io.lakeshard.core.stream.StreamEvent.StreamCreated;
import io.lakeshard.core.stream.StreamEvent.StreamDeleted;
import io.lakeshard.core.stream.StreamProtocol.CreateReply;
import io.lakeshard.core.stream.StreamProtocol.CreateSpec;
import io.lakeshard.core.stream.StreamProtocol.Created;
import io.lakeshard.core.stream.StreamProtocol.ForkBase;
import io.lakeshard.core.stream.StreamProtocol.ForkPoint;
import io.lakeshard.core.stream.StreamProtocol.ForkReply;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a PUT does to a stream: a live stream with the same configuration is answered as it is
 * (idempotent create), one with another is a conflict; otherwise the events that create it, from
 * its body and, for a fork, its source's side. It writes nothing: the entity journals what it is
 * given.
 */
final class CreateRule {
  sealed interface Decision {}

  /** Answered without a write. */
  record Answer(CreateReply reply) implements Decision {}

  /** Journal {@code events}: the stream is created (after the deletion of an expired one by that id). */
  record Write(List<StreamEvent> events) implements Decision {}

  private CreateRule() {}

  /**
   * {@code live}: the stream exists and is usable (not expired); {@code base}: the source's side
   * when the spec is a fork, else null; {@code recorded}: the creation also goes to the registry.
   */
  static Decision decide(StreamState state, boolean live, CreateSpec spec, ForkBase base, boolean recorded,
                         long nowMillis) {
    if (state.exists && state.softDeleted) {
      return new Answer(Refused.of(Refusal.CONFLICT,
          "stream was deleted but forks still read from it; its id is not free yet"));
    }
    String contentType = spec.contentType() != null ? spec.contentType()
        : base != null ? base.source().contentType() : DurableStream.DEFAULT_CONTENT_TYPE;
    if (live) {
      return new Answer(sameConfig(state, spec, contentType)
          ? new Created(state.meta(), false)
          : Refused.of(Refusal.CONFLICT, "stream exists with another configuration"));
    }
    List<Segment> segments = base != null ? base.segments() : List.of();
    List<Message> messages = new ArrayList<>();
    String start = Offsets.ZERO;
    if (base != null) {
      messages.addAll(base.messages());
      start = base.forkOffset();
    }
    if (spec.body() != null && spec.body().length > 0) {
      byte[] stored;
      try {
        stored = JsonMode.stored(contentType, spec.body(), true);
      } catch (JsonMode.InvalidJson e) {
        return new Answer(Refused.of(Refusal.INVALID, e.getMessage()));
      }
      if (stored.length > 0) {
        messages.add(new Message(Offsets.next(StreamState.tailOf(start, segments, messages), stored.length), stored));
      }
    }
    List<StreamEvent> events = new ArrayList<>(3);
    // An expired stream is still in the journal: drop it first so nothing of it survives recovery.
    if (state.exists) {
      events.add(new StreamDeleted(nowMillis));
    }
    events.add(new StreamCreated(contentType, spec.ttlSeconds(), spec.expiresAt(), spec.closed(), spec.fork(), start,
        segments, messages, nowMillis));
    if (recorded) {
      events.add(new RegistryChange(true, contentType, nowMillis));
    }
    return new Write(events);
  }

  /**
   * The same for a fork once its source answered: the source's refusals in a fork's terms, its
   * content type kept, and its TTL or expiry inherited unless the fork sets its own.
   */
  static Decision decideFork(StreamState state, boolean live, CreateSpec spec, ForkReply sourceReply,
                             boolean recorded, long nowMillis) {
    if (sourceReply instanceof Refused refused) {
      return new Answer(switch (refused.reason()) {
        case NOT_FOUND -> Refused.of(Refusal.SOURCE_NOT_FOUND, "fork source not found");
        case GONE -> Refused.of(Refusal.SOURCE_GONE, "fork source was deleted");
        default -> refused;
      });
    }
    ForkBase base = (ForkBase) sourceReply;
    if (spec.contentType() != null
        && !JsonMode.sameMediaType(spec.contentType(), base.source().contentType())) {
      return new Answer(Refused.of(Refusal.CONTENT_TYPE_MISMATCH, "a fork keeps its source's content type"));
    }
    CreateSpec inherited = spec.ttlSeconds() != null || spec.expiresAt() != null ? spec
        : new CreateSpec(spec.contentType(), base.source().ttlSeconds(), base.source().expiresAt(), spec.closed(),
            spec.body(), spec.fork());
    return decide(state, live, inherited, base, recorded, nowMillis);
  }

  private static boolean sameConfig(StreamState state, CreateSpec spec, String contentType) {
    ForkPoint fork = spec.fork();
    boolean sameFork = fork == null ? state.fork == null
        : state.fork != null && fork.source().equals(state.fork.source())
            && (fork.offset() == null || state.fork.offset() == null
                || Offsets.canonical(fork.offset()).equals(Offsets.canonical(state.fork.offset())))
            && fork.subOffset() == state.fork.subOffset();
    return JsonMode.sameMediaType(contentType, state.contentType)
        && Objects.equals(spec.ttlSeconds(), state.ttlSeconds)
        && Objects.equals(spec.expiresAt(), state.expiresAt)
        && spec.closed() == state.closed
        && sameFork;
  }
}
