package io.lakeshard.node.http;

import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A session's outbound buffer that takes memory as it fills, not when it opens. Pekko allocates a
 * buffer below {@code max-fixed-buffer-size} (10^9 by default) as one array of its full length:
 * 4 KiB for a sync socket's 1 024 broadcasts, 16 KiB for a LiveStore session's 4 096 answers, on
 * every idle session. Above that size a buffer starts at 128 slots and grows up to the same
 * bound, with the same overflow strategy.
 */
public final class SessionBuffers {
  /** Pekko's first fixed queue of a growing buffer (Buffer.FixedQueueSize): smaller buffers stay arrays. */
  private static final int FIXED_UP_TO = 128;

  private SessionBuffers() {}

  /** {@code source} (an actor or queue source with a buffer) with its buffer growing on demand. */
  public static <T, M> Source<T, M> growing(Source<T, M> source) {
    return source.addAttributes(ActorAttributes.maxFixedBufferSize(FIXED_UP_TO));
  }
}
