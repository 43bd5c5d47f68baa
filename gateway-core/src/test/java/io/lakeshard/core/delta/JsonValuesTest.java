package io.lakeshard.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonValuesTest {

  @ParameterizedTest
  @ValueSource(strings = {"true", "false", "null", "0", "-0", "12", "-3.25", "1e5", "2.5E-3", "\"\"", "\"plain\"",
      "\"esc\\\"aped\\n\"", "\"caf\\u00e9\"", " 7 ", "[1,{\"a\":[]}]", "{\"k\":\"v\"}"})
  void acceptsEveryJsonValue(String json) {
    assertThat(JsonValues.isValid(json)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "abc", "01", "1.", ".5", "-", "1e", "+1", "NaN", "\"open", "\"bad\\q\"",
      "\"tab\there\"", "tru", "1 2", "[1,", "{\"a\":1}}", "\"a\"\"b\""})
  void refusesWhatIsNotExactlyOneJsonValue(String json) {
    assertThat(JsonValues.isValid(json)).isFalse();
  }

  @Test
  void scalarsReadAsJavaValuesOnTheFastPathAndThroughJackson() {
    assertThat(JsonValues.scalar("null")).isNull();
    assertThat(JsonValues.scalar("true")).isEqualTo(true);
    assertThat(JsonValues.scalar("-2.5e1")).isEqualTo(-25.0);
    assertThat(JsonValues.scalar("\"plain\"")).isEqualTo("plain");
    assertThat(JsonValues.scalar("\"caf\\u00e9 \\\"x\\\"\"")).isEqualTo("café \"x\"");
    assertThat(JsonValues.scalar(" 4 ")).isEqualTo(4.0);
    assertThatThrownBy(() -> JsonValues.scalar("[1]")).isInstanceOf(IllegalArgumentException.class);
  }
}
