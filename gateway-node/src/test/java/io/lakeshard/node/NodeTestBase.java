package io.lakeshard.node;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A real node per test, on 127.0.0.1 with its own data dir. */
abstract class NodeTestBase {
  @TempDir Path dataDir;
  LakeshardNode node;

  @BeforeEach
  void startNode() {
    node = TestNode.start(dataDir);
  }

  @AfterEach
  void stopNode() {
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
  }
}
