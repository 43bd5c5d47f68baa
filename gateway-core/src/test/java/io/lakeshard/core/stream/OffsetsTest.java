package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffsetsTest {
  @Test
  void offsetsSortAsStringsInAppendOrderEvenForEqualMessages() {
    String first = Offsets.next(Offsets.ZERO, 3);
    String second = Offsets.next(first, 3);
    String third = Offsets.next(second, 0);
    assertThat(first).isGreaterThan(Offsets.ZERO);
    assertThat(second).isGreaterThan(first);
    assertThat(third).isGreaterThan(second);
  }

  @Test
  void canonicalPadsSoThatShortFormsCompareAsTheirValue() {
    String issued = Offsets.next(Offsets.ZERO, 10);
    String unpadded = "0_" + Long.parseLong(issued.substring(issued.indexOf('_') + 1));
    assertThat(Offsets.canonical(unpadded)).isEqualTo(issued);
  }

  @Test
  void readersMaySendOffsetsAndTheSentinelsOnly() {
    assertThat(Offsets.isReadable(Offsets.BEGINNING)).isTrue();
    assertThat(Offsets.isReadable(Offsets.NOW)).isTrue();
    assertThat(Offsets.isReadable(Offsets.ZERO)).isTrue();
    assertThat(Offsets.isOffset(Offsets.NOW)).isFalse();
    assertThat(Offsets.isReadable("12")).isFalse();
    assertThat(Offsets.isReadable("1_2_3")).isFalse();
    assertThat(Offsets.isReadable("00000000000000001_00000000000000002")).isFalse();
  }
}
