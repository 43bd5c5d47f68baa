package io.lakeshard.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonModeTest {
  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void anArrayIsStoredAsItsValuesAndAValueAsItself() throws Exception {
    assertThat(string(JsonMode.normalize(bytes("[1, {\"a\" : [2]}]"), false))).isEqualTo("1,{\"a\":[2]}");
    assertThat(string(JsonMode.normalize(bytes(" \"x\" "), false))).isEqualTo("\"x\"");
    assertThat(string(JsonMode.normalize(bytes("[]"), true))).isEmpty();
  }

  @Test
  void invalidJsonTrailingTokensAndEmptyAppendsAreRefused() {
    assertThatThrownBy(() -> JsonMode.normalize(bytes("{oops"), false)).isInstanceOf(JsonMode.InvalidJson.class);
    assertThatThrownBy(() -> JsonMode.normalize(bytes("1 2"), false)).isInstanceOf(JsonMode.InvalidJson.class);
    assertThatThrownBy(() -> JsonMode.normalize(bytes("[]"), false)).isInstanceOf(JsonMode.InvalidJson.class);
    assertThatThrownBy(() -> JsonMode.normalize(bytes(""), false)).isInstanceOf(JsonMode.InvalidJson.class);
  }

  @Test
  void storedMessagesJoinIntoOneArrayAndCutByValue() {
    assertThat(string(JsonMode.array(List.of(bytes("1,2"), bytes("\"x\""))))).isEqualTo("[1,2,\"x\"]");
    assertThat(string(JsonMode.array(List.of()))).isEqualTo("[]");
    assertThat(JsonMode.values(bytes("1,{\"a\":2},3"))).hasSize(3);
    assertThat(string(JsonMode.prefix(bytes("1,{\"a\":2},3"), 2))).isEqualTo("1,{\"a\":2}");
  }

  @Test
  void contentTypesCompareByMediaTypeOnly() {
    assertThat(JsonMode.isJson("Application/JSON; charset=utf-8")).isTrue();
    assertThat(JsonMode.isJson("text/plain")).isFalse();
    assertThat(JsonMode.mediaType(null)).isEmpty();
  }
}
