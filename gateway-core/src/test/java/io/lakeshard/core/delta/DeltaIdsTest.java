package io.lakeshard.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Vectors computed outside Java: Node's crypto over LakeSync's stable-stringify rules. */
class DeltaIdsTest {

  @Test
  void matchesLakeSyncForAPlainInsert() {
    String id = DeltaIds.compute("client-a", 116430218434560000L, "todos", "row-1",
        List.of(new ColumnValue("title", "\"Buy milk\""), new ColumnValue("done", "false")));
    assertThat(id).isEqualTo("f6b602a367993009e34eafa3fbefdaebdc9109f9b44f4b1394ed35dacee123d9");
  }

  @Test
  void sortsNestedKeysKeepsArrayOrderAndEscapesLikeJavaScript() {
    String id = DeltaIds.compute("client-b", 1L, "notes", "r\"2",
        List.of(new ColumnValue("meta", "{\"z\":1,\"a\":[1.5,\"x\\n\",null],\"m\":{\"b\":true,\"a\":-3}}"),
            new ColumnValue("n", "42")));
    assertThat(id).isEqualTo("2de054b66eff18497ae506c6b447c52df4eca2796a5db04044701078a2ce5e9f");
  }

  @Test
  void printsTheHlcAsAnUnsignedDecimalAndKeepsUnicode() {
    String id = DeltaIds.compute("c", -1L, "t", "é", List.of());
    assertThat(id).isEqualTo("405696e25d0a3e71f6b1786b18ce853c6b9a7a28dd8edf771f4800fad24af246");
  }
}
