package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.stream.ProducerFencing.ProducerState;
import io.lakeshard.core.stream.StreamProtocol.Duplicate;
import io.lakeshard.core.stream.StreamProtocol.Producer;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProducerFencingTest {
  private static final long NOW = 1_000_000;
  private final ProducerFencing fencing = new ProducerFencing(Duration.ofSeconds(60));
  private final ProducerState atSeq3 = new ProducerState(2, 3, NOW - 1000);

  private Object check(ProducerState known, long epoch, long seq) {
    return fencing.check(known, new Producer("w", epoch, seq), NOW, "tail", false).orElse(null);
  }

  @Test
  void anUnknownProducerStartsAtZero() {
    assertThat(check(null, 0, 0)).isNull();
    Refused gap = (Refused) check(null, 5, 1);
    assertThat(gap.reason()).isEqualTo(Refusal.SEQ_GAP);
    assertThat(gap.receivedSeq()).isEqualTo(1);
  }

  @Test
  void withinAnEpochSeqMustBeTheNextOne() {
    assertThat(check(atSeq3, 2, 4)).isNull();
    Refused gap = (Refused) check(atSeq3, 2, 6);
    assertThat(gap.reason()).isEqualTo(Refusal.SEQ_GAP);
    assertThat(gap.expectedSeq()).isEqualTo(4);
    assertThat(gap.receivedSeq()).isEqualTo(6);
  }

  @Test
  void aRetryOfAJournaledWriteIsADuplicateWithTheLastSeq() {
    Duplicate duplicate = (Duplicate) check(atSeq3, 2, 1);
    assertThat(duplicate.lastSeq()).isEqualTo(3);
    assertThat(duplicate.epoch()).isEqualTo(2);
    assertThat(duplicate.offset()).isEqualTo("tail");
  }

  @Test
  void aHigherEpochFencesTheOldOneAndStartsAtZero() {
    assertThat(check(atSeq3, 3, 0)).isNull();
    assertThat(((Refused) check(atSeq3, 3, 1)).reason()).isEqualTo(Refusal.EPOCH_SEQ);
    Refused stale = (Refused) check(atSeq3, 1, 4);
    assertThat(stale.reason()).isEqualTo(Refusal.STALE_EPOCH);
    assertThat(stale.currentEpoch()).isEqualTo(2);
  }

  @Test
  void aProducerSilentPastItsTtlIsForgotten() {
    ProducerState silent = new ProducerState(2, 3, NOW - 61_000);
    assertThat(check(silent, 0, 0)).isNull();
    assertThat(((Refused) check(silent, 2, 4)).reason()).isEqualTo(Refusal.SEQ_GAP);
  }
}
