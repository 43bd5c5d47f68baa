package io.lakeshard.core.stream;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Stream-Cursor of live responses, for CDN request collapsing: the number of 20-second intervals
 * since the protocol's epoch. A client that echoes a cursor not behind the current interval gets
 * one pushed ahead by a random jitter, so its next request never repeats a cached URL.
 */
public final class StreamCursor {
  private static final Instant EPOCH = Instant.parse("2024-10-09T00:00:00Z");
  private static final long INTERVAL_SECONDS = 20;
  private static final long MAX_JITTER_SECONDS = 3600;

  private StreamCursor() {}

  public static String next(String clientCursor, Clock clock) {
    long current = (clock.millis() - EPOCH.toEpochMilli()) / (INTERVAL_SECONDS * 1000);
    if (clientCursor == null || clientCursor.isEmpty()) {
      return Long.toString(current);
    }
    long client;
    try {
      client = Long.parseLong(clientCursor);
    } catch (NumberFormatException e) {
      return Long.toString(current);
    }
    if (client < current) {
      return Long.toString(current);
    }
    long jitterSeconds = 1 + ThreadLocalRandom.current().nextLong(MAX_JITTER_SECONDS);
    return Long.toString(client + Math.max(1, (jitterSeconds + INTERVAL_SECONDS - 1) / INTERVAL_SECONDS));
  }
}
