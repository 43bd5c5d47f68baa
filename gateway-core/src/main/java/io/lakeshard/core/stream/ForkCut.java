package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamProtocol.ForkBase;
import io.lakeshard.core.stream.StreamProtocol.ForkPoint;
import io.lakeshard.core.stream.StreamProtocol.ForkReply;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A source's side of a fork: the segments before the fork offset (the one it forks inside, only up
 * to it), its hot messages up to the offset, and with a sub-offset the first bytes (or JSON values)
 * of the next message as one more message.
 */
final class ForkCut {
  private ForkCut() {}

  /** The fork offset in canonical form (null: the tail). */
  static String at(StreamState state, ForkPoint point) {
    return point.offset() == null ? state.tail : Offsets.canonical(point.offset());
  }

  /** The segment a sub-offset cuts into, when it is cold: it must be loaded before {@link #cut}. */
  static Optional<Segment> segmentToCut(StreamState state, ForkPoint point) {
    if (point.subOffset() == 0) {
      return Optional.empty();
    }
    int cold = state.firstSegmentAfter(at(state, point));
    return cold < 0 ? Optional.empty() : Optional.of(state.segments.get(cold));
  }

  /** {@code cutSegment}: the messages of {@link #segmentToCut}'s segment, when there is one. */
  static ForkReply cut(StreamState state, ForkPoint point, List<Message> cutSegment) {
    String at = at(state, point);
    if (at.compareTo(state.tail) > 0) {
      return Refused.of(Refusal.INVALID, "fork offset beyond the stream");
    }
    List<Segment> segments = new ArrayList<>();
    for (Segment segment : state.segments) {
      if (segment.first().compareTo(at) > 0) {
        break;
      }
      segments.add(segment.last().compareTo(at) <= 0 ? segment
          : new Segment(segment.seq(), segment.key(), segment.first(), at, segment.bytes(), segment.count()));
    }
    int end = state.firstAfter(at);
    List<Message> messages = new ArrayList<>(state.messages.subList(0, end));
    if (point.subOffset() > 0) {
      List<Message> after = cutSegment != null ? cutSegment : state.messages.subList(end, state.messages.size());
      Optional<Message> next = after.stream().filter(message -> message.offset().compareTo(at) > 0).findFirst();
      if (next.isEmpty()) {
        return Refused.of(Refusal.INVALID, "no message after the fork offset");
      }
      byte[] data = next.get().data();
      byte[] prefix;
      if (JsonMode.isJson(state.contentType)) {
        if (point.subOffset() > JsonMode.values(data).size()) {
          return Refused.of(Refusal.INVALID, "sub-offset beyond the message's values");
        }
        prefix = JsonMode.prefix(data, point.subOffset());
      } else {
        if (point.subOffset() > data.length) {
          return Refused.of(Refusal.INVALID, "sub-offset beyond the message");
        }
        prefix = Arrays.copyOf(data, point.subOffset());
      }
      messages.add(new Message(Offsets.next(at, prefix.length), prefix));
    }
    return new ForkBase(state.meta(), at, point.subOffset(), segments, messages);
  }
}
