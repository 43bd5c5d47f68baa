package io.lakeshard.core.stream;

import static io.lakeshard.core.stream.StreamStates.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamProtocol.Chunk;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamPagingTest {
  /** Pages of 4 bytes: two 2-byte messages. */
  private final StreamPaging paging = new StreamPaging(4);

  @Test
  void aHotPageHoldsWholeMessagesUpToTheBudgetAndSaysWhereToGoOn() {
    StreamState state = StreamStates.created("text/plain");
    List<String> offsets = StreamStates.append(state, "aa", "bb", "cc");
    Chunk first = paging.hot(state, null);
    assertThat(text(first.messages())).isEqualTo("aabb");
    assertThat(first.next()).isEqualTo(offsets.get(1));
    assertThat(first.upToDate()).isFalse();
    Chunk rest = paging.hot(state, first.next());
    assertThat(text(rest.messages())).isEqualTo("cc");
    assertThat(rest.upToDate()).isTrue();
    assertThat(rest.next()).isEqualTo(state.tail);
  }

  @Test
  void aMessageOverTheBudgetStillMakesAPage() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "a very long message", "x");
    assertThat(text(paging.hot(state, null).messages())).isEqualTo("a very long message");
  }

  @Test
  void aColdPageReadsItsSegmentsAndGoesOnIntoTheHotTail() {
    StreamState state = StreamStates.created("text/plain");
    List<String> offsets = StreamStates.append(state, "a", "b", "c", "d", "e");
    Segment first = StreamStates.seal(state, "paging", 2);
    Segment second = StreamStates.seal(state, "paging", 2);
    assertThat(paging.segmentsFor(state, 0)).containsExactly(first, second);
    assertThat(paging.segmentsFor(state, 1)).containsExactly(second);

    Chunk fromStart = paging.cold(state, List.of(first, second), StreamStates.SEALED, null);
    assertThat(text(fromStart.messages())).isEqualTo("abcd");
    assertThat(fromStart.upToDate()).isFalse();
    Chunk inside = paging.cold(state, List.of(second), StreamStates.SEALED, offsets.get(2));
    assertThat(text(inside.messages())).isEqualTo("de");
    assertThat(inside.upToDate()).isTrue();
  }

  @Test
  void aClosedStreamSaysSoOnlyOnThePageThatReachesItsTail() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "aa", "bb", "cc");
    state.apply(new StreamEvent.StreamClosed(null, 0));
    assertThat(paging.hot(state, null).closedAtTail()).isFalse();
    assertThat(paging.hot(state, paging.hot(state, null).next()).closedAtTail()).isTrue();
  }
}
