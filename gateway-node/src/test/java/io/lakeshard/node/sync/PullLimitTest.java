package io.lakeshard.node.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PullLimitTest {
  private final PullLimit limit = new PullLimit(100, 10_000);

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "0, 100",             // absent or 0: the default
      "1, 1",
      "100, 100",
      "10000, 10000",
      "10001, 10000",       // over the max: capped
      "2147483647, 10000",
      "2147483648, 10000",  // a proto uint32 of 2^31, read unsigned
      "4294967295, 10000",  // 2^32 - 1, the largest max_deltas
      "9223372036854775807, 10000",
      "-1, 0",              // refused
      "-2147483648, 0"})
  void resolvesOrRefuses(long requested, int expected) {
    assertThat(limit.resolve(requested)).isEqualTo(expected);
  }

  @Test
  void refusedIsNeverAServedLimit() {
    assertThat(PullLimit.REFUSED).isLessThan(1);
  }

  @Test
  void settingsMustBeOrdered() {
    assertThatThrownBy(() -> new PullLimit(0, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PullLimit(100, 10)).isInstanceOf(IllegalArgumentException.class);
  }
}
