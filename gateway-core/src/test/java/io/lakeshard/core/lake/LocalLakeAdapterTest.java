package io.lakeshard.core.lake;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalLakeAdapterTest extends LakeAdapterContract {
  @TempDir Path root;
  private LocalLakeAdapter adapter;

  @BeforeEach
  void create() {
    adapter = new LocalLakeAdapter(root.resolve("lake"));
  }

  @Override
  protected LakeAdapter adapter() {
    return adapter;
  }

  @Test
  void keysCannotLeaveTheLakeDirectory() {
    assertThatThrownBy(() -> adapter.put("../escape", new byte[1], "text/plain"))
        .isInstanceOf(LakeException.Permanent.class);
    assertThatThrownBy(() -> adapter.get("/etc/passwd")).isInstanceOf(LakeException.Permanent.class);
  }
}
