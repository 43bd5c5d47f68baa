package io.lakeshard.node.sync;

import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.rules.RowFilter;
import io.lakeshard.protocol.v1.SyncResponse;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.apache.pekko.util.ByteString;

/**
 * A checkpoint chunk as LakeSync's client reads it from the download: a big-endian uint32 length,
 * then the protobuf {@code SyncResponse}. A stored chunk is such a SyncResponse already, so
 * without sync rules ({@link RowFilter#ALL}) it is sent as it is, unparsed.
 */
final class CheckpointFrames {
  private CheckpointFrames() {}

  /**
   * The frame of {@code chunk} with only the rows {@code filter} allows, or empty when it allows
   * none (LakeSync skips such a chunk).
   */
  static Optional<ByteString> frame(byte[] chunk, RowFilter filter) throws Exception {
    if (filter == RowFilter.ALL) {
      return Optional.of(frame(chunk));
    }
    SyncResponse stored = SyncResponse.parseFrom(chunk);
    SyncResponse.Builder kept = SyncResponse.newBuilder()
        .setServerHlc(stored.getServerHlc())
        .setHasMore(false);
    for (io.lakeshard.protocol.v1.RowDelta delta : stored.getDeltasList()) {
      if (filter.allows(WireDeltas.fromWire(delta))) {
        kept.addDeltas(delta);
      }
    }
    return kept.getDeltasCount() == 0 ? Optional.empty() : Optional.of(frame(kept.build().toByteArray()));
  }

  private static ByteString frame(byte[] response) {
    byte[] length = ByteBuffer.allocate(Integer.BYTES).putInt(response.length).array();
    return ByteString.fromArrayUnsafe(length).concat(ByteString.fromArrayUnsafe(response));
  }
}
