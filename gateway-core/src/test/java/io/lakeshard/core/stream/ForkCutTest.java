package io.lakeshard.core.stream;

import static io.lakeshard.core.stream.StreamStates.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.StreamProtocol.ForkBase;
import io.lakeshard.core.stream.StreamProtocol.ForkPoint;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForkCutTest {
  @Test
  void aForkAtAHotOffsetTakesTheMessagesUpToIt() {
    StreamState state = StreamStates.created("text/plain");
    List<String> offsets = StreamStates.append(state, "aa", "bb", "cc");
    ForkBase base = (ForkBase) ForkCut.cut(state, new ForkPoint("s", offsets.get(1), 0), null);
    assertThat(text(base.messages())).isEqualTo("aabb");
    assertThat(base.forkOffset()).isEqualTo(offsets.get(1));
    assertThat(base.segments()).isEmpty();
    assertThat(((ForkBase) ForkCut.cut(state, new ForkPoint("s", null, 0), null)).forkOffset()).isEqualTo(state.tail);
  }

  @Test
  void aSubOffsetCutsTheNextMessageInBytesOrJsonValues() {
    StreamState bytes = StreamStates.created("text/plain");
    List<String> offsets = StreamStates.append(bytes, "aa", "bbbb");
    ForkBase cut = (ForkBase) ForkCut.cut(bytes, new ForkPoint("s", offsets.get(0), 3), null);
    assertThat(text(cut.messages())).isEqualTo("aabbb");
    assertThat(((Refused) ForkCut.cut(bytes, new ForkPoint("s", offsets.get(0), 5), null)).reason())
        .isEqualTo(Refusal.INVALID);

    StreamState json = StreamStates.created("application/json");
    List<String> jsonOffsets = StreamStates.append(json, "1", "2,3,4");
    ForkBase values = (ForkBase) ForkCut.cut(json, new ForkPoint("s", jsonOffsets.get(0), 2), null);
    assertThat(text(values.messages())).isEqualTo("12,3");
  }

  @Test
  void aForkInsideASegmentReadsItOnlyUpToTheForkOffset() {
    StreamState state = StreamStates.created("text/plain");
    List<String> offsets = StreamStates.append(state, "a", "b", "c", "d");
    Segment segment = StreamStates.seal(state, "forked", 3);
    ForkPoint inside = new ForkPoint("s", offsets.get(1), 0);
    assertThat(ForkCut.segmentToCut(state, inside)).isEmpty();
    ForkBase base = (ForkBase) ForkCut.cut(state, inside, null);
    assertThat(base.segments()).hasSize(1);
    assertThat(base.segments().get(0).last()).isEqualTo(offsets.get(1));
    assertThat(base.segments().get(0).key()).isEqualTo(segment.key());
    assertThat(base.messages()).isEmpty();

    ForkPoint cutting = new ForkPoint("s", offsets.get(0), 1);
    assertThat(ForkCut.segmentToCut(state, cutting)).contains(segment);
    ForkBase sub = (ForkBase) ForkCut.cut(state, cutting, StreamStates.SEALED.get(segment));
    assertThat(text(sub.messages())).isEqualTo("b");
  }

  @Test
  void anOffsetBeyondTheTailIsRefused() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "a");
    String beyond = Offsets.next(state.tail, 10);
    assertThat(((Refused) ForkCut.cut(state, new ForkPoint("s", beyond, 0), null)).reason()).isEqualTo(Refusal.INVALID);
  }
}
