package io.lakeshard.core.stream;

import io.lakeshard.core.paging.Pages;
import io.lakeshard.core.stream.StreamProtocol.Chunk;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Read pages of at most {@code readMaxBytes} of whole messages (at least one): from the hot tail,
 * or from loaded segments on into the hot tail. A page says where to read on and whether it
 * reached the tail; a reply crosses the cluster as one message, hence the budget.
 */
final class StreamPaging {
  private final long readMaxBytes;

  StreamPaging(long readMaxBytes) {
    this.readMaxBytes = readMaxBytes;
  }

  /** Hot messages after {@code after} (at or after the last segment; null: the beginning). */
  Chunk hot(StreamState state, String after) {
    return page(state, state.messages.subList(state.firstAfter(after), state.messages.size()), state.tail, true);
  }

  /** The segments a page from the one at {@code index} may need: that one, and the next ones until a page's worth. */
  List<Segment> segmentsFor(StreamState state, int index) {
    List<Segment> needed = new ArrayList<>();
    long bytes = 0;
    for (int i = index; i < state.segments.size() && (needed.isEmpty() || bytes < readMaxBytes); i++) {
      needed.add(state.segments.get(i));
      bytes += state.segments.get(i).bytes();
    }
    return needed;
  }

  /** Messages after {@code after} from the {@code loaded} {@code segments}, and on into the hot tail after the last segment. */
  Chunk cold(StreamState state, List<Segment> segments, Map<Segment, List<Message>> loaded, String after) {
    List<Message> candidates = new ArrayList<>();
    for (Segment segment : segments) {
      for (Message message : loaded.get(segment)) {
        if ((after == null || message.offset().compareTo(after) > 0) && message.offset().compareTo(segment.last()) <= 0) {
          candidates.add(message);
        }
      }
    }
    Segment end = segments.get(segments.size() - 1);
    boolean last = end.equals(state.segments.get(state.segments.size() - 1));
    if (last) {
      candidates.addAll(state.messages);
    }
    return page(state, candidates, last ? state.tail : end.last(), last);
  }

  /**
   * Whole messages from {@code candidates} up to the page size; {@code end}: the offset the
   * candidates reach, {@code reachTail}: whether that is the stream's tail.
   */
  private Chunk page(StreamState state, List<Message> candidates, String end, boolean reachTail) {
    int fits = Pages.fitting(candidates, message -> message.data().length, readMaxBytes);
    List<Message> page = List.copyOf(candidates.subList(0, fits));
    boolean upToDate = reachTail && fits == candidates.size();
    String next = page.isEmpty() ? end : page.get(page.size() - 1).offset();
    return new Chunk(state.meta(), page, next, upToDate, upToDate && state.closed);
  }
}
