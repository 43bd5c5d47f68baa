package io.lakeshard.core.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentifiersTest {
  /** LakeSync's own expression (core/src/validation/identifier.ts). */
  private static final Pattern LAKESYNC = Pattern.compile("^[a-zA-Z_][a-zA-Z0-9_]{0,63}$");

  @ParameterizedTest
  @ValueSource(strings = {"todos", "_", "T", "todo_items_2", "_2", "Zz9"})
  void acceptsWhatLakeSyncAccepts(String name) {
    assertThat(Identifiers.valid(name)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1todos", "to-dos", "to do", "todos.x", "tödos", "todos;", "\u0661", "a\n"})
  void refusesWhatLakeSyncRefuses(String name) {
    assertThat(Identifiers.valid(name)).isFalse();
  }

  @Test
  void agreesWithLakeSyncsExpressionOnLengthsAndEveryAsciiCharacter() {
    assertThat(Identifiers.valid("a".repeat(64))).isTrue();
    assertThat(Identifiers.valid("a".repeat(65))).isFalse();
    for (char c = 0; c < 256; c++) {
      for (String name : new String[] {String.valueOf(c), "a" + c, c + "a"}) {
        assertThat(Identifiers.valid(name)).as("'%s'", name).isEqualTo(LAKESYNC.matcher(name).matches());
      }
    }
  }
}
