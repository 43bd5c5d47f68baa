package io.lakeshard.node.sync;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** How a checkpoint download begins. */
public sealed interface CheckpointOutcome permits CheckpointOutcome.Found, Refused, Unavailable {
  /**
   * The latest checkpoint: its snapshot stamp (decimal, for {@code X-Checkpoint-Hlc}) and its
   * frames, read from the store one chunk at a time as the client takes them. A chunk that cannot
   * be read fails the stream (the client sees a broken download, never a silently partial one).
   */
  record Found(String snapshotHlc, Source<ByteString, NotUsed> frames) implements CheckpointOutcome {}
}
