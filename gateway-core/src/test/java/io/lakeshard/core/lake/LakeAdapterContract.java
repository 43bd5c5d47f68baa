package io.lakeshard.core.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every LakeAdapter must do; each implementation's test extends this. */
public abstract class LakeAdapterContract {

  protected abstract LakeAdapter adapter();

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putThenGetAndHeadReturnTheObject() throws LakeException {
    adapter().put("gw/a/file.parquet", bytes("hello"), "application/octet-stream");
    assertThat(adapter().get("gw/a/file.parquet")).isEqualTo(bytes("hello"));
    LakeAdapter.ObjectInfo info = adapter().head("gw/a/file.parquet");
    assertThat(info.size()).isEqualTo(5);
    assertThat(info.lastModified()).isNotNull();
  }

  @Test
  void openStreamsTheObject() throws LakeException, IOException {
    byte[] data = new byte[3 * 1024 * 1024 + 7];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    adapter().put("covers/big.png", data, "image/png");
    try (InputStream stream = adapter().open("covers/big.png")) {
      assertThat(stream.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void putReplacesAnExistingObject() throws LakeException {
    adapter().put("k", bytes("one"), "text/plain");
    adapter().put("k", bytes("two!"), "text/plain");
    assertThat(adapter().get("k")).isEqualTo(bytes("two!"));
  }

  @Test
  void missingObjectsAreNotFound() {
    assertThatThrownBy(() -> adapter().get("nope")).isInstanceOf(LakeException.NotFound.class);
    assertThatThrownBy(() -> adapter().head("nope")).isInstanceOf(LakeException.NotFound.class);
    assertThatThrownBy(() -> adapter().open("nope")).isInstanceOf(LakeException.NotFound.class);
  }

  @Test
  void listReturnsEveryKeyUnderThePrefixPastOneThousand() throws LakeException {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 1_100; i++) {
      String key = String.format("many/%05d.seg", i);
      adapter().put(key, bytes("x"), "application/octet-stream");
      keys.add(key);
    }
    adapter().put("other/1.seg", bytes("x"), "application/octet-stream");
    assertThat(adapter().list("many/")).containsExactlyElementsOf(keys);
  }

  @Test
  void deleteAndDeleteAllRemoveObjectsAndIgnoreMissingOnes() throws LakeException {
    adapter().put("d/1", bytes("1"), "text/plain");
    adapter().put("d/2", bytes("2"), "text/plain");
    adapter().put("d/3", bytes("3"), "text/plain");
    adapter().delete("d/1");
    adapter().delete("d/missing");
    adapter().deleteAll(List.of("d/2", "d/3", "d/missing"));
    assertThat(adapter().list("d/")).isEmpty();
  }
}
