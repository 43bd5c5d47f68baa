package io.lakeshard.core.hlc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HybridClockTest {
  private final AtomicLong wall = new AtomicLong(1_700_000_000_000L);
  private final HybridClock clock = new HybridClock(wall::get, 5_000);

  @Test
  void encodesWallMillisAboveASixteenBitCounter() {
    long hlc = HybridClock.encode(1_700_000_000_000L, 7);
    assertThat(HybridClock.wallOf(hlc)).isEqualTo(1_700_000_000_000L);
    assertThat(HybridClock.counterOf(hlc)).isEqualTo(7);
  }

  @Test
  void nowStrictlyIncreasesWhileTheWallClockStandsStillOrGoesBack() {
    long first = clock.now();
    long second = clock.now();
    wall.addAndGet(-10_000);
    long third = clock.now();
    assertThat(second).isGreaterThan(first);
    assertThat(third).isGreaterThan(second);
  }

  @Test
  void counterOverflowCarriesIntoTheWallPart() {
    clock.advanceTo(HybridClock.encode(wall.get(), 0xFFFF));
    long next = clock.now();
    assertThat(HybridClock.wallOf(next)).isEqualTo(wall.get() + 1);
    assertThat(HybridClock.counterOf(next)).isZero();
  }

  @Test
  void receiveMovesTheClockPastARemoteTimestamp() throws ClockDriftException {
    long remote = HybridClock.encode(wall.get() + 4_000, 3);
    clock.receive(remote);
    assertThat(clock.now()).isGreaterThan(remote);
  }

  @Test
  void refusesARemoteClockTooFarAhead() {
    assertThatThrownBy(() -> clock.receive(HybridClock.encode(wall.get() + 5_001, 0)))
        .isInstanceOf(ClockDriftException.class)
        .hasMessageContaining("5001 ms ahead");
  }
}
