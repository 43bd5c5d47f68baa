package io.lakeshard.node;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real node for the whole class and a {@link SentinelSession} on {@link #gateway()}: after
 * every test the same gateway (not a restarted one) must still serve.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SentinelNodeTestBase {
  LakeshardNode node;
  NodeHttp http;
  private SentinelSession sentinel;

  abstract String gateway();

  @BeforeAll
  void startNode(@TempDir Path dataDir) throws Exception {
    node = TestNode.start(dataDir);
    http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));
    sentinel = SentinelSession.open(node.httpPort(), http, gateway());
  }

  @AfterAll
  void stopNode() {
    node.stop().toCompletableFuture().join();
  }

  @AfterEach
  void theSameGatewayKeepsServing() throws Exception {
    sentinel.assertGatewayKeptServing();
  }
}
