package io.lakeshard.core.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeltaIdWindowTest {

  /** Hex ids (as LakeSync computes them), hex ids that differ only in their last digits, free-form ids. */
  private static String id(Random random, int n) {
    return switch (n % 3) {
      case 0 -> {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        yield HexFormat.of().formatHex(bytes);
      }
      case 1 -> "0".repeat(56) + String.format("%08x", n);
      default -> "client-" + n + (random.nextBoolean() ? "" : "-retry");
    };
  }

  @Test
  void behavesAsAFirstInFirstOutSetThroughGrowthAndEviction() {
    Random random = new Random(42);
    DeltaIdWindow window = new DeltaIdWindow();
    Deque<String> expected = new ArrayDeque<>();
    Set<String> members = new HashSet<>();
    List<String> everAdded = new ArrayList<>();
    for (int round = 0; round < 40; round++) {
      int adds = 1 + random.nextInt(3_000);
      for (int i = 0; i < adds; i++) {
        String id = random.nextInt(10) == 0 && !everAdded.isEmpty()
            ? everAdded.get(random.nextInt(everAdded.size())) : id(random, everAdded.size());
        boolean added = window.addIfAbsent(id);
        assertThat(added).as("add %s", id).isEqualTo(members.add(id));
        if (added) {
          expected.addLast(id);
          everAdded.add(id);
        }
      }
      int keep = random.nextInt(expected.size() + 1);
      window.retainNewest(keep);
      while (expected.size() > keep) {
        members.remove(expected.removeFirst());
      }
      assertThat(window.size()).isEqualTo(expected.size());
      for (int probe = 0; probe < 500; probe++) {
        String id = everAdded.get(random.nextInt(everAdded.size()));
        assertThat(window.contains(id)).as("contains %s", id).isEqualTo(members.contains(id));
      }
    }
    assertThat(DeltaIdWindow.fromBytes(window.toBytes())).isEqualTo(window);
    assertThat(expected).allSatisfy(id -> assertThat(window.contains(id)).isTrue());
  }

  @Test
  void hexIdsAreTheirOwnBitsAndCaseMatters() {
    String lower = "ab".repeat(32);
    DeltaIdWindow window = new DeltaIdWindow();
    window.addIfAbsent(lower);
    assertThat(window.contains(lower)).isTrue();
    assertThat(window.contains(lower.toUpperCase())).isFalse();
    assertThat(window.contains("ab".repeat(31) + "ac")).isFalse();
    assertThat(window.toBytes()).hasSize(32).containsOnly((byte) 0xab);
  }

  @Test
  void addIfAbsentOfAPresentIdChangesNeitherTheOrderNorWhatIsEvictedFirst() {
    DeltaIdWindow window = new DeltaIdWindow();
    assertThat(window.addIfAbsent("first")).isTrue();
    assertThat(window.addIfAbsent("second")).isTrue();
    byte[] before = window.toBytes();
    assertThat(window.addIfAbsent("first")).isFalse();
    assertThat(window.toBytes()).isEqualTo(before);
    window.retainNewest(1);
    assertThat(window.contains("first")).isFalse();
    assertThat(window.addIfAbsent("second")).isFalse();
    assertThat(window.addIfAbsent("first")).isTrue();
  }

  @Test
  void hexIdsSharingTheirFirstDigitsDoNotShareAProbeRun() {
    // A client picks its hex ids: 50 000 that differ only in their last 16 digits, the shape that
    // once put every id of a gateway on one probe run (a quadratic fill, seconds per thousand).
    DeltaIdWindow window = new DeltaIdWindow();
    for (int n = 0; n < 50_000; n++) {
      assertThat(window.addIfAbsent("ab".repeat(24) + String.format("%016x", n))).isTrue();
    }
    assertThat(window.size()).isEqualTo(50_000);
    // At most half full with a uniform hash, the longest run here is a few dozen slots.
    assertThat(window.longestProbeRun()).isLessThan(400);
  }
}
