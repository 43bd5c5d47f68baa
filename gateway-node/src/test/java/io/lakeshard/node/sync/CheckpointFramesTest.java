package io.lakeshard.node.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.rules.RowFilter;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class CheckpointFramesTest {
  private static final byte[] CHUNK = SyncResponse.newBuilder()
      .addDeltas(RowDelta.newBuilder().setOp(DeltaOp.DELTA_OP_INSERT).setTable("todos").setRowId("a").setClientId("c").setHlc(1).setDeltaId("d1"))
      .addDeltas(RowDelta.newBuilder().setOp(DeltaOp.DELTA_OP_INSERT).setTable("todos").setRowId("b").setClientId("c").setHlc(2).setDeltaId("d2"))
      .setServerHlc(42)
      .build().toByteArray();

  /** The frame's SyncResponse, after checking its big-endian length prefix. */
  private static SyncResponse unframe(ByteString frame) throws Exception {
    ByteBuffer bytes = frame.toByteBuffer();
    assertThat(bytes.getInt()).isEqualTo(frame.size() - 4);
    return SyncResponse.parseFrom(bytes);
  }

  @Test
  void withoutAFilterTheStoredChunkGoesOutAsItIsAfterItsLength() throws Exception {
    ByteString frame = CheckpointFrames.frame(CHUNK, RowFilter.ALL).orElseThrow();
    assertThat(Arrays.copyOfRange(frame.toArray(), 4, frame.size())).isEqualTo(CHUNK);
    assertThat(unframe(frame).getDeltasCount()).isEqualTo(2);
  }

  @Test
  void aFilterKeepsOnlyTheRowsItAllowsAndAChunkWithNoneIsSkipped() throws Exception {
    SyncResponse kept = unframe(CheckpointFrames.frame(CHUNK, delta -> delta.rowId().equals("b")).orElseThrow());
    assertThat(kept.getDeltasList()).extracting(RowDelta::getRowId).containsExactly("b");
    assertThat(kept.getServerHlc()).isEqualTo(42);
    assertThat(CheckpointFrames.frame(CHUNK, delta -> false)).isEmpty();
  }
}
