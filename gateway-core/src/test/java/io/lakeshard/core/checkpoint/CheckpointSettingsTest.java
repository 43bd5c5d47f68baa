package io.lakeshard.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.retry.Backoff;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CheckpointSettingsTest {

  @Test
  void thePolicyFiresOnEitherTriggerAndZeroTurnsOneOff() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(2), 0);
    CheckpointSettings byFlushes = new CheckpointSettings(3, 0, 1024, backoff);
    assertThat(byFlushes.due(2, 1_000_000)).isFalse();
    assertThat(byFlushes.due(3, 0)).isTrue();
    CheckpointSettings byChanges = new CheckpointSettings(0, 100, 1024, backoff);
    assertThat(byChanges.due(50, 99)).isFalse();
    assertThat(byChanges.due(1, 100)).isTrue();
    assertThat(new CheckpointSettings(0, 0, 1024, backoff).due(1000, 1_000_000)).isFalse();
  }
}
