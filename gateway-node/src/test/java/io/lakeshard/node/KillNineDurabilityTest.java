package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.hlc.HybridClock;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 * The node as its own process, killed with SIGKILL while clients push (or append to a stream):
 * every push or append it had acknowledged is there after a restart on the same data dir.
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

  @FunctionalInterface
  private interface Write {
    /** Writes number {@code n}: true when the node acknowledged it. */
    boolean attempt(int n) throws IOException, InterruptedException;
  }

  /** A node on a free port, healthy; its port. */
  private int startedNode() throws Exception {
    int port = FreePorts.next();
    http = new NodeHttp(() -> port, Duration.ofSeconds(5));
    node = startNode(port);
    awaitHealthy();
    return port;
  }

  /**
   * {@code writers} threads {@code write} until {@code acks} writes were acknowledged; then the
   * node is killed with SIGKILL, mid-load, and started again on the same data dir.
   */
  private void killMidLoadAndRestart(int port, int writers, int acks, Write write) throws Exception {
    AtomicInteger sequence = new AtomicInteger();
    CountDownLatch enoughAcks = new CountDownLatch(acks);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    for (int w = 0; w < writers; w++) {
      pool.submit(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          try {
            if (write.attempt(sequence.incrementAndGet())) {
              enoughAcks.countDown();
            }
          } catch (IOException | InterruptedException e) {
            return; // the node is gone
          }
        }
      });
    }
    assertThat(enoughAcks.await(60, TimeUnit.SECONDS)).as(acks + " acknowledged writes").isTrue();
    node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    pool.shutdownNow();
    assertThat(pool.awaitTermination(20, TimeUnit.SECONDS)).isTrue();

    node = startNode(port);
    awaitHealthy();
  }

  @Test
  void everyAcknowledgedPushSurvivesSigkill() throws Exception {
    int port = startedNode();
    String token = TestNode.token("alice", "durable");
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    killMidLoadAndRestart(port, 8, 200, n -> {
      String row = "r" + n;
      String body = "{\"clientId\":\"alice\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"t\",\"rowId\":\"" + row
          + "\",\"clientId\":\"alice\",\"hlc\":\"" + HybridClock.encode(System.currentTimeMillis(), 0) + "\"}]}";
      boolean ok = http.post("/v1/sync/durable/push", token, body).statusCode() == 200;
      if (ok) {
        acknowledged.add(row);
      }
      return ok;
    });
    List<String> recovered = NodeHttp.rowIds(http.withTimeout(Duration.ofSeconds(10)).pullAll("durable", 10_000));
    assertThat(recovered).containsAll(acknowledged);
    assertThat(List.copyOf(acknowledged)).hasSizeGreaterThanOrEqualTo(200);
  }

  @Test
  void everyAcknowledgedStreamAppendSurvivesSigkillAtItsOffset() throws Exception {
    int port = startedNode();
    assertThat(http.send("PUT", "/v1/stream/durable", "text/plain", null).statusCode()).isEqualTo(201);
    // 16 appenders on one stream: their appends share journal writes. Bodies of one length, so
    // the k-th message ends at position (k + 1) * (8 + the offset's 5 bytes of framing).
    Map<Long, String> acknowledged = new ConcurrentHashMap<>(); // an append's position -> its body
    killMidLoadAndRestart(port, 16, 500, n -> {
      String body = String.format("%08d", n);
      HttpResponse<String> response = http.send("POST", "/v1/stream/durable", "text/plain", body);
      if (response.statusCode() != 204) {
        return false;
      }
      acknowledged.put(position(response.headers().firstValue("Stream-Next-Offset").orElseThrow()), body);
      return true;
    });
    String recovered = readStream(http.withTimeout(Duration.ofSeconds(10)), "/v1/stream/durable");
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(500);
    acknowledged.forEach((position, body) -> {
      int k = (int) (position / 13) - 1;
      assertThat(recovered.length()).as("the stream reaches the append at %d", position).isGreaterThanOrEqualTo(8 * k + 8);
      assertThat(recovered.substring(8 * k, 8 * k + 8)).as("the append at %d", position).isEqualTo(body);
    });
  }

  private static long position(String offset) {
    return Long.parseLong(offset.substring(offset.indexOf('_') + 1));
  }

  /** The whole stream, following Stream-Next-Offset until Stream-Up-To-Date. */
  private static String readStream(NodeHttp http, String path) throws IOException, InterruptedException {
    StringBuilder out = new StringBuilder();
    String offset = "-1";
    for (int page = 0; page < 10_000; page++) {
      HttpResponse<String> read = http.send("GET", path + "?offset=" + offset, null, null);
      assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
      out.append(read.body());
      if (read.headers().firstValue("Stream-Up-To-Date").isPresent()) {
        return out.toString();
      }
      offset = read.headers().firstValue("Stream-Next-Offset").orElseThrow();
    }
    throw new AssertionError("the stream did not end within 10 000 pages");
  }
}
