package io.lakeshard.core.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;

/**
 * What {@code checkpoints/{gw}/manifest.json} holds, in LakeSync's shape (its compactor writes the
 * same fields): the snapshot stamp as a decimal string, when it was written, and the chunk objects
 * in order, named relative to {@code checkpoints/{gw}/}. The manifest is written after its chunks,
 * so whoever reads one finds every chunk it names.
 */
public record CheckpointManifest(String snapshotHlc, String generatedAt, int chunkCount, int totalDeltas,
                                 List<String> chunks) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The snapshot's acceptance stamp: the checkpoint holds every delta stamped up to it. */
  public long snapshotStamp() {
    return Long.parseUnsignedLong(snapshotHlc);
  }

  /** The chunks' folder, {@code {snapshotHlc}/}: each checkpoint writes new objects, never over a served one. */
  static String generation(long snapshotStamp) {
    return Long.toUnsignedString(snapshotStamp) + "/";
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException("a manifest always serializes", e);
    }
  }

  public static CheckpointManifest fromJson(byte[] json) throws IOException {
    CheckpointManifest manifest = JSON.readValue(json, CheckpointManifest.class);
    if (manifest.snapshotHlc() == null || manifest.chunks() == null) {
      throw new IOException("a checkpoint manifest needs snapshotHlc and chunks");
    }
    return manifest;
  }
}
