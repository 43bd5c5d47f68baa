package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.buffer.DeltaIdWindow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LedgerSnapshotTest {

  @Test
  void snapshotsOfEarlierVersionsKeepTheirDedupeWindowAsText() {
    String hex = "0f".repeat(32);
    GatewayLedger.Snapshot earlier = new GatewayLedger.Snapshot(0, List.of(), Map.of(), List.of(hex, "free-form"),
        null, List.of(), 0, 0, null, List.of(), null);
    DeltaIdWindow window = earlier.dedupeWindow();
    assertThat(window.size()).isEqualTo(2);
    assertThat(window.contains(hex)).isTrue();
    assertThat(window.contains("free-form")).isTrue();

    GatewayLedger.Snapshot now = new GatewayLedger.Snapshot(0, List.of(), Map.of(), null, window.toBytes(),
        List.of(), 0, 0, null, List.of(), null);
    assertThat(now.dedupeWindow()).isEqualTo(window);
  }
}
