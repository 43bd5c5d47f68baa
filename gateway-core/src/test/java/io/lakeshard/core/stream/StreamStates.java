package io.lakeshard.core.stream;

import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Builds stream states through their events, as the journal would. */
final class StreamStates {
  /** What each segment sealed here holds, as the lake would have it. */
  static final Map<Segment, List<Message>> SEALED = new ConcurrentHashMap<>();

  private StreamStates() {}

  static StreamState created(String contentType) {
    return new StreamState().apply(new StreamEvent.StreamCreated(contentType, null, null, false, null, Offsets.ZERO,
        List.of(), List.of(), 0));
  }

  /** Appends each text; returns the offsets after each. */
  static List<String> append(StreamState state, String... texts) {
    List<String> offsets = new ArrayList<>();
    for (String text : texts) {
      byte[] data = text.getBytes(StandardCharsets.UTF_8);
      Message message = new Message(Offsets.next(state.tail, data.length), data);
      state.apply(new StreamEvent.MessageAppended(message, null, null, false, 0));
      offsets.add(message.offset());
    }
    return offsets;
  }

  /** Seals the oldest {@code count} hot messages as segment {@code seq} of {@code id}. */
  static Segment seal(StreamState state, String id, int count) {
    List<Message> batch = state.messages.subList(0, count);
    long bytes = batch.stream().mapToLong(message -> message.data().length).sum();
    Segment segment = new Segment(state.nextSegmentSeq, StreamSegment.key(id, state.nextSegmentSeq),
        batch.get(0).offset(), batch.get(count - 1).offset(), bytes, count);
    List<Message> sealed = List.copyOf(batch);
    state.apply(new StreamEvent.SegmentSealed(segment));
    SEALED.put(segment, sealed);
    return segment;
  }

  static String text(List<Message> messages) {
    StringBuilder out = new StringBuilder();
    messages.forEach(message -> out.append(new String(message.data(), StandardCharsets.UTF_8)));
    return out.toString();
  }
}
