package io.lakeshard.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeshard.protocol.v1.Action;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FramesTest {
  private final SyncPush push = SyncPush.newBuilder().setClientId("c1")
      .addDeltas(RowDelta.newBuilder().setTable("todos").setRowId("1").setHlc(-2L).setClientId("c1")).build();

  @Test
  void pushAndPullRoundTripThroughTheirTags() throws ProtocolException {
    assertThat(Frames.decode(Frames.encodePush(push))).isEqualTo(new Frames.Push(push));
    SyncPull pull = SyncPull.newBuilder().setClientId("c1").setSinceHlc(42).setMaxDeltas(10).build();
    assertThat(Frames.decode(Frames.encodePull(pull))).isEqualTo(new Frames.Pull(pull));
  }

  @Test
  void anActionPushRoundTripsThroughLakeSyncsActionTag() throws ProtocolException {
    ActionPush actions = ActionPush.newBuilder().setClientId("c1")
        .addActions(Action.newBuilder().setActionId("a1").setConnector("crm").setHlc(-2L)).build();
    byte[] frame = Frames.encodeActionPush(actions);
    assertThat(frame[0]).isEqualTo((byte) 0x04);
    assertThat(Frames.decode(frame)).isEqualTo(new Frames.Actions(actions));
  }

  @Test
  void unknownTagsAndEmptyFramesAreRefused() {
    assertThatThrownBy(() -> Frames.decode(new byte[] {0x07, 0x00})).isInstanceOf(Frames.UnknownTagException.class);
    assertThatThrownBy(() -> Frames.decode(new byte[0])).isInstanceOf(Frames.UnknownTagException.class);
  }

  @Test
  void aTruncatedProtobufIsAProtocolError() {
    byte[] frame = Frames.encodePush(push);
    byte[] truncated = Arrays.copyOf(frame, frame.length - 3);
    assertThatThrownBy(() -> Frames.decode(truncated))
        .isInstanceOf(ProtocolException.class)
        .isNotInstanceOf(Frames.UnknownTagException.class);
  }
}
