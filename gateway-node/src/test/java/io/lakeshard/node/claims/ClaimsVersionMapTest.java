package io.lakeshard.node.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.NotSerializableException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClaimsVersionMapTest {
  private static ClaimsVersionMap map(Map<String, Long> versions) {
    ClaimsVersionMap map = ClaimsVersionMap.EMPTY;
    for (Map.Entry<String, Long> entry : versions.entrySet()) {
      map = map.raised(entry.getKey(), entry.getValue());
    }
    return map.resetDelta();
  }

  @Test
  void mergeTakesEachUsersMaximum() {
    ClaimsVersionMap a = map(Map.of("ann", 5L, "bob", 1L));
    ClaimsVersionMap b = map(Map.of("ann", 3L, "bob", 4L, "cy", 2L));

    assertThat(a.mergeData(b).versions()).isEqualTo(Map.of("ann", 5L, "bob", 4L, "cy", 2L));
  }

  @Test
  void mergeIsCommutativeAssociativeAndIdempotent() {
    ClaimsVersionMap a = map(Map.of("ann", 5L, "bob", 1L));
    ClaimsVersionMap b = map(Map.of("ann", 3L, "bob", 4L));
    ClaimsVersionMap c = map(Map.of("cy", 7L, "ann", 6L));

    assertThat(a.mergeData(b)).isEqualTo(b.mergeData(a));
    assertThat(a.mergeData(b).mergeData(c)).isEqualTo(a.mergeData(b.mergeData(c)));
    assertThat(a.mergeData(a)).isEqualTo(a);
    assertThat(a.mergeData(b).mergeData(b)).isEqualTo(a.mergeData(b));
  }

  @Test
  void aRaiseNeverLowersAndAbsentUsersAreAtZero() {
    ClaimsVersionMap map = map(Map.of("ann", 5L));

    assertThat(map.raised("ann", 3).version("ann")).isEqualTo(5);
    assertThat(map.raised("ann", 3)).isSameAs(map);
    assertThat(map.raised("ann", 9).version("ann")).isEqualTo(9);
    assertThat(map.version("nobody")).isZero();
  }

  @Test
  void theDeltaIsOnlyTheRaisedEntriesAndMergesLikeTheWholeMap() {
    ClaimsVersionMap before = map(Map.of("ann", 5L, "bob", 1L));
    ClaimsVersionMap after = before.raised("bob", 2).raised("cy", 1);

    ClaimsVersionMap delta = after.deltaData().orElseThrow();
    assertThat(delta.versions()).isEqualTo(Map.of("bob", 2L, "cy", 1L));
    assertThat(delta.deltaData()).isEmpty();
    // a replica that had only the state before gets the same state from the delta alone
    assertThat(before.mergeDeltaData(delta)).isEqualTo(after);
    assertThat(after.resetDelta().deltaData()).isEmpty();
    assertThat(before.deltaData()).isEmpty();
  }

  @Test
  void serializesWithoutLosingAnEntry() throws NotSerializableException {
    ClaimsVersionMapSerializer serializer = new ClaimsVersionMapSerializer();
    ClaimsVersionMap map = map(Map.of("ann", Long.MAX_VALUE, "auth0|bøb", 0L, "c@y.example", 42L));

    byte[] bytes = serializer.toBinary(map);
    Object back = serializer.fromBinary(bytes, serializer.manifest(map));

    assertThat(back).isEqualTo(map);
    assertThat(serializer.fromBinary(serializer.toBinary(ClaimsVersionMap.EMPTY), "cvm1")).isEqualTo(ClaimsVersionMap.EMPTY);
    assertThatThrownBy(() -> serializer.fromBinary(bytes, "cvm0")).isInstanceOf(NotSerializableException.class);
    assertThatThrownBy(() -> serializer.fromBinary(new byte[] {0, 0, 0, 5, 1}, "cvm1"))
        .isInstanceOf(NotSerializableException.class);
  }

  @Test
  void theWatcherTellsOnlyWhatGrew() {
    ClaimsVersionMap before = map(Map.of("ann", 5L, "bob", 1L));
    ClaimsVersionMap now = before.mergeData(map(Map.of("ann", 5L, "bob", 3L, "cy", 1L)));

    assertThat(ClaimsWatcher.grown(before, now)).isEqualTo(Map.of("bob", 3L, "cy", 1L));
    assertThat(ClaimsWatcher.grown(now, now)).isEmpty();
  }
}
