package io.lakeshard.core.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

class ActionMemoryTest {
  private static Action action(String actionId, String key) {
    return new Action(actionId, "alice", 1, "crm", "create", JsonNodeFactory.instance.objectNode(), key);
  }

  private static ActionRecorded recorded(String actionId, String key) {
    return new ActionRecorded(key, new ActionAnswer.Succeeded(actionId, "{\"id\":\"" + actionId + "\"}", 7));
  }

  @Test
  void anAnswerIsFoundByActionIdAndByIdempotencyKey() {
    ActionMemory memory = new ActionMemory(10).remember(recorded("a1", "k1"));
    assertThat(memory.find(action("a1", null))).contains(recorded("a1", "k1").answer());
    assertThat(memory.find(action("other", "k1"))).as("the first action's answer, its id included")
        .contains(recorded("a1", "k1").answer());
    assertThat(memory.find(action("other", "k2"))).isEmpty();
    assertThat(memory.find(action("other", null))).isEmpty();
  }

  @Test
  void pastItsCapacityTheOldestAnswerAndItsKeyAreForgotten() {
    ActionMemory memory = new ActionMemory(2)
        .remember(recorded("a1", "k1"))
        .remember(recorded("a2", "k2"))
        .remember(recorded("a3", null));
    assertThat(memory.size()).isEqualTo(2);
    assertThat(memory.find(action("a1", null))).isEmpty();
    assertThat(memory.find(action("x", "k1"))).isEmpty();
    assertThat(memory.find(action("x", "k2"))).isPresent();
    assertThat(memory.find(action("a3", null))).isPresent();
  }

  @Test
  void aKeyTakenOverByALaterActionSurvivesTheEvictionOfTheEarlierOne() {
    ActionMemory memory = new ActionMemory(2)
        .remember(recorded("a1", "k"))
        .remember(recorded("a2", "k"))
        .remember(recorded("a3", null));
    assertThat(memory.find(action("x", "k")).orElseThrow().actionId()).isEqualTo("a2");
  }

  @Test
  void aSnapshotRestoresTheSameMemoryInTheSameOrder() {
    ActionMemory memory = new ActionMemory(3)
        .remember(recorded("a1", "k1"))
        .remember(recorded("a2", null));
    ActionMemory restored = ActionMemory.of(memory.snapshot(), 2).remember(recorded("a3", null));
    assertThat(restored.find(action("x", "k1"))).as("the oldest goes first after a restore too").isEmpty();
    assertThat(restored.find(action("a2", null))).isPresent();
  }

  @Test
  void aMemoryHoldsAtLeastOneAnswer() {
    assertThatThrownBy(() -> new ActionMemory(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
