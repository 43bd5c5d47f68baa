package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.hlc.HybridClock;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three node processes on a PostgreSQL journal and a shared lake, formed by Cluster Bootstrap,
 * under continuous pushes through every node: the owner of the gateway is killed with SIGKILL,
 * then every node is restarted gracefully in turn. Every acknowledged delta stays pullable, once.
 */
class ClusterFailoverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "failover";
  private static final Duration FAILOVER_LIMIT = Duration.ofSeconds(15);
  /** A client gives up on a push after this and retries through the next node (a lost request costs this much). */
  private static final Duration PUSH_TIMEOUT = Duration.ofSeconds(1);
  private static Path DIR;

  private static PostgresServer postgres;
  private static final List<NodeProcess> nodes = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    // Its own directory per run; readable by the postgres user the server runs as.
    DIR = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "cluster-test-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"))).toAbsolutePath();
    postgres = PostgresServer.start(DIR.resolve("postgres"));
    List<Integer> managementPorts = List.of(FreePorts.next(), FreePorts.next(), FreePorts.next());
    String endpoints = String.join(",", managementPorts.stream().map(port -> "127.0.0.1:" + port).toList());
    for (int i = 0; i < 3; i++) {
      nodes.add(new NodeProcess(i, FreePorts.next(), FreePorts.next(), managementPorts.get(i), endpoints));
    }
    for (NodeProcess node : nodes) {
      node.start();
    }
    for (NodeProcess node : nodes) {
      node.awaitReady();
    }
    Await.until("3 members Up", Duration.ofSeconds(90), () -> upMembers(nodes.get(0)) == 3);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (NodeProcess node : nodes) {
      node.kill();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  /** Pushers that spread over the live nodes and record what was acknowledged, and every other answer. */
  private static final class Load {
    final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    /** Send and acknowledgement times (nanoTime) of every acknowledged push. */
    final ConcurrentLinkedQueue<long[]> acks = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    /** One permit per acknowledged push, for waiting on acknowledgements as they happen. */
    private final Semaphore ackSignal = new Semaphore(0);
    /** The first acknowledged push sent after a given time: its acknowledgement time, once there is one. */
    private final ConcurrentLinkedQueue<Map.Entry<Long, CompletableFuture<Long>>> ackWatchers =
        new ConcurrentLinkedQueue<>();
    private final ExecutorService pushers = Executors.newFixedThreadPool(6);
    private final AtomicInteger sequence = new AtomicInteger();
    private final String token = TestNode.token("pusher", GATEWAY);
    private volatile boolean running = true;

    Load() {
      for (int p = 0; p < 6; p++) {
        int pusher = p;
        pushers.submit(() -> {
          int attempt = pusher;
          while (running) {
            NodeProcess node = nodes.get(attempt++ % nodes.size());
            if (!node.serving) {
              continue;
            }
            pushOnce(node);
          }
        });
      }
    }

    private void pushOnce(NodeProcess node) {
      String row = "r" + sequence.incrementAndGet();
      long sent = System.nanoTime();
      String body = "{\"clientId\":\"pusher\",\"deltas\":[{\"op\":\"INSERT\",\"table\":\"events\",\"rowId\":\"" + row
          + "\",\"clientId\":\"pusher\",\"hlc\":\"" + HybridClock.encode(System.currentTimeMillis(), 0)
          + "\",\"columns\":[{\"column\":\"n\",\"value\":1}]}]}";
      try {
        HttpResponse<String> response =
            node.http.withTimeout(PUSH_TIMEOUT).post("/v1/sync/" + GATEWAY + "/push", token, body);
        statuses.computeIfAbsent(response.statusCode(), code -> new AtomicInteger()).incrementAndGet();
        if (response.statusCode() == 200) {
          acknowledged.add(row);
          long ackedAt = System.nanoTime();
          acks.add(new long[] {sent, ackedAt});
          ackWatchers.forEach(watcher -> {
            if (sent > watcher.getKey()) {
              watcher.getValue().complete(ackedAt);
            }
          });
          ackSignal.release();
        } else if (response.statusCode() != 503) {
          unexpected.add(response.statusCode() + " " + response.body());
        }
      } catch (IOException e) {
        // the node went away mid-request: the client reconnects elsewhere
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Completes with the time the first push sent after {@code nanos} is acknowledged. */
    CompletableFuture<Long> firstAckOfPushSentAfter(long nanos) {
      CompletableFuture<Long> first = new CompletableFuture<>();
      ackWatchers.add(Map.entry(nanos, first));
      acks.stream().filter(ack -> ack[0] > nanos).mapToLong(ack -> ack[1]).min().ifPresent(first::complete);
      return first;
    }

    void awaitMoreAcks(int more) throws InterruptedException {
      ackSignal.drainPermits();
      assertThat(ackSignal.tryAcquire(more, 60, TimeUnit.SECONDS))
          .as(more + " more acknowledged pushes within 60 s").isTrue();
    }

    void stop() throws InterruptedException {
      running = false;
      pushers.shutdown();
      assertThat(pushers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aKilledOwnerFailsOverWithinFifteenSecondsAndRollingRestartsLoseNothing() throws Exception {
    Load load = new Load();
    try {
      load.awaitMoreAcks(300);

      NodeProcess owner = ownerOf();
      long killedAt = System.nanoTime();
      owner.kill();
      long firstAck = load.firstAckOfPushSentAfter(killedAt)
          .get(FAILOVER_LIMIT.plusSeconds(30).toSeconds(), TimeUnit.SECONDS);
      Duration failover = Duration.ofNanos(firstAck - killedAt);
      System.out.printf("failover: node %d killed, first push acknowledged %d ms later%n", owner.index, failover.toMillis());
      assertThat(failover).as("kill to first acknowledged push").isLessThanOrEqualTo(FAILOVER_LIMIT);
      load.awaitMoreAcks(200);

      owner.start();
      owner.awaitReady();
      Await.until("the restarted node is Up", Duration.ofSeconds(90), () -> upMembers(nodes.get(0)) == 3);
      for (NodeProcess node : nodes) {
        node.stopGracefully();
        load.awaitMoreAcks(100);
        node.start();
        node.awaitReady();
        Await.until("node " + node.index + " back Up", Duration.ofSeconds(90), () -> upMembers(node) == 3);
        load.awaitMoreAcks(100);
      }
      load.stop();

      List<String> pulled = NodeHttp.rowIds(nodes.get(1).http.pullAll(GATEWAY, 10_000));
      assertThat(pulled).as("no delta twice").doesNotHaveDuplicates();
      assertThat(pulled).as("every acknowledged delta").containsAll(load.acknowledged);
      assertThat(load.unexpected).as("answers other than 200 and 503").isEmpty();
      System.out.printf("acknowledged %d, pulled %d, statuses %s%n", load.acknowledged.size(), pulled.size(), load.statuses);
    } finally {
      load.stop();
    }
  }

  /** The node whose shard region holds the gateway (Pekko Management's shard listing). */
  private static NodeProcess ownerOf() throws Exception {
    for (NodeProcess node : nodes) {
      JsonNode shards = managementJson(node, "/cluster/shards/SyncGateway");
      for (JsonNode region : shards.get("regions")) {
        if (region.get("numEntities").asInt() > 0) {
          return node;
        }
      }
    }
    throw new AssertionError("no node holds gateway " + GATEWAY);
  }

  private static int upMembers(NodeProcess node) {
    try {
      JsonNode members = managementJson(node, "/cluster/members");
      int up = 0;
      for (JsonNode member : members.get("members")) {
        if ("Up".equals(member.get("status").asText())) {
          up++;
        }
      }
      return up - members.get("unreachable").size();
    } catch (Exception notYet) {
      return 0;
    }
  }

  private static JsonNode managementJson(NodeProcess node, String path) throws IOException, InterruptedException {
    HttpResponse<String> response = node.management.get(path, null);
    if (response.statusCode() != 200) {
      throw new IOException(node.management.uri(path) + " answered " + response.statusCode());
    }
    return JSON.readTree(response.body());
  }

  /** One node as its own JVM, started, killed and restarted on the same ports and data. */
  private static final class NodeProcess {
    final int index;
    final int httpPort;
    final int remotePort;
    final int managementPort;
    final String endpoints;
    /** 30 s, for a pull through every delta; a push gives up after PUSH_TIMEOUT. */
    final NodeHttp http;
    final NodeHttp management;
    volatile boolean serving;
    private Process process;

    NodeProcess(int index, int httpPort, int remotePort, int managementPort, String endpoints) {
      this.index = index;
      this.httpPort = httpPort;
      this.remotePort = remotePort;
      this.managementPort = managementPort;
      this.endpoints = endpoints;
      this.http = new NodeHttp(() -> httpPort, Duration.ofSeconds(30));
      this.management = new NodeHttp(() -> managementPort, Duration.ofSeconds(5));
    }

    void start() throws IOException {
      Path dataDir = Files.createDirectories(DIR.resolve("node-" + index));
      ProcessBuilder builder = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), Main.class.getName());
      Map<String, String> env = new HashMap<>(Map.of(
          "LAKESHARD_DATA_DIR", dataDir.toString(),
          "LAKESHARD_HTTP_PORT", Integer.toString(httpPort),
          "LAKESHARD_REMOTE_PORT", Integer.toString(remotePort),
          "LAKESHARD_MANAGEMENT_PORT", Integer.toString(managementPort),
          "LAKESHARD_DISCOVERY", "config",
          "LAKESHARD_CLUSTER_ENDPOINTS", endpoints,
          "LAKESHARD_REQUIRED_CONTACT_POINTS", "3",
          "LAKESHARD_JWT_SECRET", TestNode.SECRET,
          "LAKESHARD_LAKE_DIR", DIR.resolve("lake").toString()));
      env.putAll(Map.of(
          "LAKESHARD_JOURNAL_URL", postgres.jdbcUrl(),
          "LAKESHARD_JOURNAL_USER", PostgresServer.USER,
          "LAKESHARD_JOURNAL_PROFILE", "slick.jdbc.PostgresProfile$",
          "LAKESHARD_JOURNAL_DRIVER", "org.postgresql.Driver",
          "LAKESHARD_CATALOGUE_JDBC_URL", postgres.jdbcUrl(),
          "LAKESHARD_CATALOGUE_JDBC_USER", PostgresServer.USER));
      builder.environment().putAll(env);
      builder.redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("node.log").toFile()));
      process = builder.start();
    }

    void awaitReady() throws InterruptedException {
      Await.until("node " + index + " ready", Duration.ofSeconds(90), () -> {
        if (!process.isAlive()) {
          throw new AssertionError("node " + index + " exited while starting; its node.log ends:\n" + logTail());
        }
        try {
          return management.withTimeout(Duration.ofSeconds(2)).get("/ready", null).statusCode() == 200;
        } catch (IOException notYet) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      });
      serving = true;
    }

    /** The end of the node's log, for a failure message (CI shows the message, not the file). */
    String logTail() {
      try {
        List<String> lines = Files.readAllLines(DIR.resolve("node-" + index).resolve("node.log"));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
      } catch (IOException e) {
        return "(unreadable: " + e + ")";
      }
    }

    void kill() throws InterruptedException {
      serving = false;
      if (process != null && process.isAlive()) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }

    /** SIGTERM: coordinated shutdown unbinds HTTP, hands the gateways off, leaves and exits. */
    void stopGracefully() throws InterruptedException {
      serving = false;
      process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("node %d exits after SIGTERM", index).isTrue();
    }
  }
}
