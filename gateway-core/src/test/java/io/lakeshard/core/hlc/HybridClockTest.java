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
  void aLeadStartsTheClockAheadOfTheWallClockButKeepsALaterTimestampItAlreadyHas() {
    clock.leadWallBy(1_000);
    assertThat(clock.now()).isEqualTo(HybridClock.encode(wall.get() + 1_000, 1));
    long journaled = HybridClock.encode(wall.get() + 3_000, 5);
    clock.advanceTo(journaled);
    clock.leadWallBy(1_000);
    assertThat(clock.now()).isEqualTo(journaled + 1);
  }

  @Test
  void nowWithinWallTicksTheClockUnlessItRunsAheadThenStopsAtTheWallClocksMillisecond() {
    long first = clock.nowWithinWall();
    long second = clock.nowWithinWall();
    assertThat(second).isGreaterThan(first);
    assertThat(HybridClock.wallOf(second)).isEqualTo(wall.get());

    clock.leadWallBy(1_000);
    long capped = clock.nowWithinWall();
    assertThat(capped).isEqualTo(HybridClock.encode(wall.get(), 0xFFFF));
    assertThat(clock.now()).as("later stamps stay above it").isGreaterThan(capped)
        .isGreaterThan(HybridClock.encode(wall.get() + 1_000, 0));
    wall.addAndGet(2_000); // the wall clock passes the lead: replies tick the clock again
    long ticked = clock.nowWithinWall();
    assertThat(ticked).isEqualTo(HybridClock.encode(wall.get(), 0));
    assertThat(clock.now()).isGreaterThan(ticked);
  }

  @Test
  void theDriftCheckMeasuresFromTheWallClockNotFromALead() throws ClockDriftException {
    clock.leadWallBy(1_000);
    clock.receive(HybridClock.encode(wall.get() + 5_000, 0));
    assertThatThrownBy(() -> clock.receive(HybridClock.encode(wall.get() + 5_001, 0)))
        .isInstanceOf(ClockDriftException.class);
  }

  @Test
  void counterOverflowDuringALeadCarriesIntoTheWallPart() {
    clock.advanceTo(HybridClock.encode(wall.get() + 1_000, 0xFFFF));
    clock.leadWallBy(1_000);
    long next = clock.now();
    assertThat(HybridClock.wallOf(next)).isEqualTo(wall.get() + 1_001);
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
