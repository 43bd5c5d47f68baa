package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.hlc.HybridClock;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node as its own process, killed with SIGKILL while clients push: every push it had
 * acknowledged is there after a restart on the same data dir.
 */
class KillNineDurabilityTest {
  private Process node;
  private NodeHttp http;

  @TempDir Path dataDir;

  @AfterEach
  void stop() {
    if (node != null) {
      node.destroyForcibly();
    }
  }

  private Process startNode(int httpPort) throws IOException {
    ProcessBuilder builder = SingleNodeProcess.builder(dataDir, httpPort);
    builder.redirectErrorStream(true).redirectOutput(dataDir.resolve("node.log").toFile());
    return builder.start();
  }

  private void awaitHealthy() throws InterruptedException {
    NodeHttp health = http.withTimeout(Duration.ofSeconds(2));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        if (health.get("/health", null).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      assertThat(node.isAlive()).as("node process alive while starting").isTrue();
      Thread.sleep(100); // polling a process we cannot be notified by
    }
    throw new AssertionError("node did not become healthy within 60 s");
  }

  @Test
  void everyAcknowledgedPushSurvivesSigkill() throws Exception {
    int port = FreePorts.next();
    http = new NodeHttp(() -> port, Duration.ofSeconds(5));
    node = startNode(port);
    awaitHealthy();

    String token = TestNode.token("alice", "durable");
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger sequence = new AtomicInteger();
    CountDownLatch enoughAcks = new CountDownLatch(200);
    ExecutorService pushers = Executors.newFixedThreadPool(8);
    for (int p = 0; p < 8; p++) {
      pushers.submit(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          String row = "r" + sequence.incrementAndGet();
          String body = "{\"clientId\":\"alice\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"t\",\"rowId\":\"" + row
              + "\",\"clientId\":\"alice\",\"hlc\":\"" + HybridClock.encode(System.currentTimeMillis(), 0) + "\"}]}";
          try {
            HttpResponse<String> response = http.post("/v1/sync/durable/push", token, body);
            if (response.statusCode() == 200) {
              acknowledged.add(row);
              enoughAcks.countDown();
            }
          } catch (IOException e) {
            return; // the node is gone
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }
    assertThat(enoughAcks.await(60, TimeUnit.SECONDS)).as("200 acknowledged pushes").isTrue();
    node.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL, mid-load
    pushers.shutdownNow();
    assertThat(pushers.awaitTermination(20, TimeUnit.SECONDS)).isTrue();

    node = startNode(port);
    awaitHealthy();
    List<String> recovered = NodeHttp.rowIds(http.withTimeout(Duration.ofSeconds(10)).pullAll("durable", 10_000));
    assertThat(recovered).containsAll(acknowledged);
    assertThat(List.copyOf(acknowledged)).hasSizeGreaterThanOrEqualTo(200);
  }
}
