package io.lakeshard.node.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.checkpoint.CheckpointManifest;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CheckpointSetTest {
  private static final List<String> ENTITIES = List.of("shop", "shop~orders", "shop~catalogue");

  private static Optional<CheckpointManifest> at(String snapshotHlc) {
    return Optional.of(new CheckpointManifest(snapshotHlc, "2026-01-01T00:00:00Z", 1, 1, List.of(snapshotHlc + "/chunk-000.bin")));
  }

  @Test
  void everyShardAtOneSnapshotIsServedAtIt() {
    assertThat(CheckpointSet.of("shop", ENTITIES, List.of(at("9"), at("9"), at("9"))))
        .isEqualTo(new CheckpointSet.Serve("9"));
    assertThat(CheckpointSet.of("one", List.of("one"), List.of(at("18446744073709551615"))))
        .isEqualTo(new CheckpointSet.Serve("18446744073709551615"));
  }

  @Test
  void noneIsServedWhenNoShardHasOneOrTheyDisagree() {
    assertThat(CheckpointSet.of("shop", ENTITIES, List.of(Optional.empty(), Optional.empty(), Optional.empty())))
        .isEqualTo(new CheckpointSet.None("no checkpoint available for gateway shop"));
    assertThat(CheckpointSet.of("shop", ENTITIES, List.of(at("9"), Optional.empty(), at("9"))))
        .isInstanceOfSatisfying(CheckpointSet.None.class,
            none -> assertThat(none.reason()).contains("shop~orders has none"));
    assertThat(CheckpointSet.of("shop", ENTITIES, List.of(at("9"), at("9"), at("12"))))
        .isInstanceOfSatisfying(CheckpointSet.None.class,
            none -> assertThat(none.reason()).contains("shop~catalogue is at 12, not 9"));
  }
}
