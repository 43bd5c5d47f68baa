package io.lakeshard.core.stream;

import static io.lakeshard.core.stream.StreamStates.text;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the hot tail's oldest messages become a segment (the writes themselves: StreamSegmentTest). */
class SegmentTieringTest {
  @Test
  void nothingIsDueBelowASegmentsWorth() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "aaaa", "bbbb");
    assertThat(SegmentTiering.due(state, 9)).isEmpty();
  }

  @Test
  void theOldestMessagesUpToASegmentsWorthAreDue() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "aaaa", "bbbb", "cccc");
    assertThat(text(SegmentTiering.due(state, 8))).isEqualTo("aaaabbbb");
    // A segment may pass its size by the message that reaches it.
    assertThat(text(SegmentTiering.due(state, 6))).isEqualTo("aaaabbbb");
  }

  @Test
  void aDeletedStreamHasNothingDue() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "aaaa", "bbbb");
    state.apply(new StreamEvent.StreamDeleted(1));
    assertThat(SegmentTiering.due(state, 1)).isEmpty();
  }
}
