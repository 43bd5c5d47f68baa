package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class StreamCursorTest {
  /** 2024-10-09T00:10:00Z: interval 30 of 20 seconds since the protocol's epoch. */
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2024-10-09T00:10:00Z"), ZoneOffset.UTC);

  @Test
  void withoutAUsableClientCursorItIsTheCurrentInterval() {
    assertThat(StreamCursor.next(null, CLOCK)).isEqualTo("30");
    assertThat(StreamCursor.next("", CLOCK)).isEqualTo("30");
    assertThat(StreamCursor.next("junk", CLOCK)).isEqualTo("30");
    assertThat(StreamCursor.next("12", CLOCK)).isEqualTo("30");
  }

  @Test
  void anEchoedCurrentCursorIsPushedAheadSoNoUrlRepeats() {
    for (int i = 0; i < 100; i++) {
      long next = Long.parseLong(StreamCursor.next("30", CLOCK));
      assertThat(next).isBetween(31L, 30L + 180);
      assertThat(Long.parseLong(StreamCursor.next("500", CLOCK))).isGreaterThan(500);
    }
  }
}
