package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.CodedInputStream;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.JsonCodec;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Flow;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The benchmark's client process: drives each scenario against the node(s) and against the
 * no-op ceiling server with the same clients, and writes one JSON file. {@code scripts/bench}
 * starts the servers and this; see {@link #usage()}.
 */
public final class LoadGenerator {

  /** How long and how big, per mode. */
  record Mode(String name, Duration jitWarmup, Duration warmup, Duration measure, Duration ceilingWarmup,
              Duration ceilingMeasure, int idleGateways, int flushRounds, int subscribers, double broadcastRate,
              Duration broadcastMeasure, Duration streamWarmup, Duration streamMeasure, int streamReadMiB,
              long heapRows, int sharedFlushRows) {
    static Mode of(String name) {
      return switch (name) {
        case "quick" -> new Mode("quick", Duration.ofSeconds(2), Duration.ofMillis(750), Duration.ofMillis(1250),
            Duration.ofMillis(500), Duration.ofMillis(1000), 1_000, 2, 1_000, 10, Duration.ofMillis(1250),
            Duration.ofMillis(500), Duration.ofMillis(1000), 4, 30_000, 500);
        case "full" -> new Mode("full", Duration.ofSeconds(10), Duration.ofSeconds(3), Duration.ofSeconds(6),
            Duration.ofSeconds(2), Duration.ofSeconds(4), 10_000, 5, 1_000, 20, Duration.ofSeconds(6),
            Duration.ofSeconds(3), Duration.ofSeconds(6), 32, 1_000_000, 4_000);
        default -> throw new IllegalArgumentException("mode must be quick or full, not " + name);
      };
    }
  }

  /** A server under test: the node(s), the ceiling, or a reference server (Durable Streams, LiveStore). */
  record Target(String name, List<String> bases, List<Long> pids, boolean node) {
    String base(int i) {
      return bases.get(Math.floorMod(i, bases.size()));
    }
  }

  static final int CLIENTS = 50;
  static final int PULL_CLIENTS = 2;
  static final int PULL_LIMIT = 1_000;
  static final int IDLE_DELTAS = 10;
  /** Servers below this CPU (in cores) over one SETTLE_SAMPLE are idle enough to start a scenario. */
  static final double IDLE_CORES = 0.15;
  static final Duration SETTLE_SAMPLE = Duration.ofMillis(500);
  static final Duration SETTLE_LIMIT = Duration.ofSeconds(60);

  private final Mode mode;
  private final Target nodes;
  private final Target ceiling;
  /** The npm reference server for the stream scenarios; null when scripts/bench could not start it. */
  private final Target reference;
  private final String referenceSkipped;
  /** LiveStore's worker for the LiveStore scenarios; null when scripts/bench could not start it. */
  private final Target worker;
  private final String workerSkipped;
  private final LiveStoreBench liveStore;
  private final Workload workload;
  private final Path jfrDir;
  private final Path gcLog;
  private final Path out;
  private final String setup;
  private final List<String> only;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final ExecutorService executor = Executors.newFixedThreadPool(2, daemon("load"));
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemon("load-timer"));
  private final HttpClient http;
  private final List<HttpClient> wsClients = new ArrayList<>();
  private final List<Map<String, Object>> results = new ArrayList<>();
  private final Map<String, Object> extra = new LinkedHashMap<>();
  private final long startedNanos = System.nanoTime();

  private LoadGenerator(Map<String, String> options) {
    this.mode = Mode.of(options.getOrDefault("mode", "quick"));
    this.nodes = new Target("node", List.of(options.get("node").split(",")), pids(options.get("node-pids")), true);
    this.ceiling = new Target("ceiling", List.of(options.get("ceiling")), pids(options.get("ceiling-pid")), false);
    this.reference = options.containsKey("reference")
        ? new Target("reference", List.of(options.get("reference")), pids(options.get("reference-pid")), false) : null;
    this.referenceSkipped = options.getOrDefault("reference-skipped", "no --reference given");
    this.worker = options.containsKey("livestore-worker")
        ? new Target("worker", List.of(options.get("livestore-worker")), pids(options.get("livestore-worker-pids")), false) : null;
    this.workerSkipped = options.getOrDefault("livestore-worker-skipped", "no --livestore-worker given");
    this.workload = new Workload(options.get("secret"));
    this.jfrDir = options.containsKey("jfr-dir") ? Path.of(options.get("jfr-dir")) : null;
    this.gcLog = options.containsKey("node-gc-log") ? Path.of(options.get("node-gc-log")) : null;
    this.out = Path.of(options.get("out"));
    this.setup = options.getOrDefault("setup", "embedded");
    this.only = options.containsKey("only") ? List.of(options.get("only").split(",")) : List.of();
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).executor(executor).build();
    // Two clients, so two selector threads share the WebSocket I/O.
    for (int i = 0; i < 2; i++) {
      wsClients.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(30)).build());
    }
    this.liveStore = new LiveStoreBench(mode.name().equals("quick"), wsClients.get(0), executor, scheduler,
        new LiveStoreBench.Meter() {
          @Override
          public Load.WindowHooks hooks(Target target, String id) {
            return hooksFor(target, id);
          }

          @Override
          public Map<String, Object> measure(Target target, String id, Supplier<Load.Window> run) {
            return LoadGenerator.this.measure(target, id, run);
          }
        }, options.getOrDefault("livestore-token", "lakeshard-bench-token"));
  }

  private static String usage() {
    return "LoadGenerator --mode quick|full --node http://127.0.0.1:P[,...] --node-pids PID[,...] "
        + "--ceiling http://127.0.0.1:P --ceiling-pid PID --secret S --out results.json "
        + "[--reference http://127.0.0.1:P --reference-pid PID | --reference-skipped WHY] "
        + "[--livestore-worker http://127.0.0.1:P --livestore-worker-pids PID,... | --livestore-worker-skipped WHY] "
        + "[--livestore-token T] "
        + "[--jfr-dir DIR] [--node-gc-log FILE] [--setup embedded|cluster|lake] [--only scenario,...]";
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException(usage());
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    for (String required : List.of("node", "ceiling", "secret", "out")) {
      if (!options.containsKey(required)) {
        System.err.println("missing --" + required + "\n" + usage());
        System.exit(2);
      }
    }
    new LoadGenerator(options).run();
    System.exit(0);
  }

  // ---------------------------------------------------------------- the run

  private void run() throws IOException {
    say("mode " + mode.name() + " (" + setup + "): node " + nodes.bases() + ", ceiling " + ceiling.bases() + ", reference "
        + (reference == null ? "skipped (" + referenceSkipped + ")" : reference.bases()) + ", LiveStore worker "
        + (worker == null ? "skipped (" + workerSkipped + ")" : worker.bases()));
    // First, on a fresh node: what idle gateways and sessions cost, before any busy gateway holds data.
    scenario("memory", this::memory, this::memoryCeiling);
    // the LakeSync pushes' warm-up, unless only reference-compared scenarios run (they warm up their own way or not at all)
    if (only.isEmpty() || only.stream().anyMatch(p -> !p.startsWith("stream") && !p.startsWith("livestore"))) {
      warmUpJit();
    }
    for (String transport : List.of("ws", "http")) {
      for (int[] shape : new int[][] {{1, 1}, {100, 1}, {1, 100}, {100, 100}}) {
        String id = "push-" + transport + "-b" + shape[0] + "-g" + shape[1];
        scenario(id, () -> push(nodes, id, transport, shape[0], shape[1], warmup(nodes), measure(nodes)),
            () -> push(ceiling, id, transport, shape[0], shape[1], warmup(ceiling), measure(ceiling)));
      }
    }
    scenario("push-ws-b100-g100-half", this::halfRateOnNode, this::halfRateOnCeiling);
    scenario("pull-ws-buffer", () -> pullBuffer(nodes, "ws"), () -> pullBuffer(ceiling, "ws"));
    scenario("pull-http-buffer", () -> pullBuffer(nodes, "http"), () -> pullBuffer(ceiling, "http"));
    scenario("flush", this::flush, null);
    scenario("pull-http-lake", this::pullLake, () -> pullBuffer(ceiling, "http"));
    scenario(SHARED_FLUSH, this::flushShared, null);
    scenario("broadcast-1000", () -> broadcast(nodes), () -> broadcast(ceiling));
    compared("stream-append", reference, referenceSkipped,
        target -> streamAppend(target, "stream-append", STREAM_APPEND_STREAMS, CLIENTS, STREAM_APPEND_BYTES));
    compared("stream-one-16c", reference, referenceSkipped,
        target -> streamAppend(target, "stream-one-16c", 1, STREAM_ONE_CLIENTS, STREAM_ONE_BYTES));
    compared("stream-read", reference, referenceSkipped, this::streamRead);
    compared("stream-sse", reference, referenceSkipped, this::streamSse);
    if (LiveStoreBench.SCENARIOS.stream().anyMatch(s -> selected(s.id()))) {
      for (Target target : worker == null ? List.of(nodes) : List.of(nodes, worker)) {
        try {
          liveStore.warmUp(target);
        } catch (RuntimeException e) {
          say("LiveStore warm-up on the " + target.name() + " failed: " + e);
        }
      }
    }
    for (LiveStoreBench.Scenario s : LiveStoreBench.SCENARIOS) {
      compared(s.id(), worker, workerSkipped, target -> liveStore.run(s, target));
    }
    scenario("memory-end", this::memoryAtEnd, null);
    scenario("heap-rows", this::heapRows, null);
    writeAndPrint();
  }

  /** Runs one scenario on the node and, when it has one, on the ceiling, and keeps both results. */
  private void scenario(String id, Supplier<Map<String, Object>> onNode, Supplier<Map<String, Object>> onCeiling) {
    if (selected(id)) {
      Map<String, Object> result = new LinkedHashMap<>();
      run(result, id, "node", onNode);
      if (onCeiling != null) {
        run(result, id, "ceiling", onCeiling);
      }
      finish(result, id);
    }
  }

  /**
   * A scenario with a reference server instead of the ceiling (Durable Streams' npm server,
   * LiveStore's worker): the same client against both, node / reference ratios in the result.
   */
  private void compared(String id, Target reference, String skipped, Function<Target, Map<String, Object>> scenario) {
    if (!selected(id)) {
      return;
    }
    Map<String, Object> result = new LinkedHashMap<>();
    run(result, id, "node", () -> scenario.apply(nodes));
    if (reference == null) {
      result.put("reference", Map.of("skipped", skipped));
    } else {
      run(result, id, "reference", () -> scenario.apply(reference));
      result.put("ratioToReference", Report.ratios(Report.map(result.get("node")), Report.map(result.get("reference"))));
    }
    finish(result, id);
  }

  private boolean selected(String id) {
    return only.isEmpty() || only.stream().anyMatch(id::startsWith);
  }

  private void run(Map<String, Object> result, String id, String target, Supplier<Map<String, Object>> scenario) {
    result.putIfAbsent("id", id);
    result.put(target + "SettleSeconds", settle());
    long t0 = System.nanoTime();
    try {
      result.put(target, scenario.get());
    } catch (RuntimeException e) {
      result.put(target, Map.of("failed", e.toString()));
      e.printStackTrace();
    }
    result.merge("wallSeconds", round((System.nanoTime() - t0) / 1e9), (a, b) -> round((Double) a + (Double) b));
  }

  /**
   * Waits (at most SETTLE_LIMIT) until the servers are idle, so no scenario pays for work an earlier
   * one left behind (a flush backlog after a fast push phase); returns the seconds waited.
   */
  private double settle() {
    List<Long> pids = new ArrayList<>(nodes.pids());
    pids.addAll(ceiling.pids());
    for (Target other : new Target[] {reference, worker}) {
      if (other != null) {
        pids.addAll(other.pids());
      }
    }
    long t0 = System.nanoTime();
    while (System.nanoTime() - t0 < SETTLE_LIMIT.toNanos()) {
      double[] before = pids.stream().mapToDouble(Probe::cpuSeconds).toArray();
      try {
        Thread.sleep(SETTLE_SAMPLE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      double busiest = 0;
      for (int i = 0; i < pids.size(); i++) {
        busiest = Math.max(busiest, (Probe.cpuSeconds(pids.get(i)) - before[i]) / (SETTLE_SAMPLE.toMillis() / 1e3));
      }
      if (busiest < IDLE_CORES) {
        break;
      }
    }
    return round((System.nanoTime() - t0) / 1e9);
  }

  private void finish(Map<String, Object> result, String id) {
    results.add(result);
    say(String.format("%-24s %s", id, summary(result)));
  }

  // ---------------------------------------------------------------- push

  /** Unmeasured load on both servers (and this client) first, so the JIT has compiled the hot paths. */
  private void warmUpJit() {
    long t0 = System.nanoTime();
    Duration each = mode.jitWarmup().dividedBy(4);
    for (Target target : List.of(nodes, ceiling)) {
      push(target, "jit-warmup", "ws", 100, 100, each, Duration.ofMillis(100));
      if (mode.jitWarmup().toSeconds() >= 8) {
        push(target, "jit-warmup", "http", 1, 100, each, Duration.ofMillis(100));
      }
    }
    say(String.format("JIT warm-up: %.1f s", (System.nanoTime() - t0) / 1e9));
  }

  /**
   * 50 closed-loop clients, one push in flight each. With 100 gateways each client alternates
   * between its two gateways (client i pushes to gateways i and i + 50); with one, all 50 push to it.
   */
  private Map<String, Object> push(Target target, String id, String transport, int batch, int gateways,
                                   Duration warm, Duration meas) {
    // Gateways of this scenario only: one that inherited an earlier scenario's buffer would cross
    // the flush threshold early and measure another scenario's flushes.
    String prefix = id + "-";
    List<Load.Op> ops = new ArrayList<>();
    List<WsSlot> slots = new ArrayList<>();
    List<WsConnection> connections = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      Workload.Client client = new Workload.Client("bench-c" + i);
      List<String> gws = new ArrayList<>();
      if (gateways >= CLIENTS) {
        for (int g = i; g < gateways; g += CLIENTS) {
          gws.add(prefix + g);
        }
      } else {
        gws.add(prefix + (i % gateways));
      }
      String base = target.base(i);
      AtomicLong turn = new AtomicLong();
      if (transport.equals("ws")) {
        List<WsSlot> mine = new ArrayList<>();
        for (String gw : gws) {
          WsSlot slot = new WsSlot(wsClients.get(slots.size() % wsClients.size()), wsUri(base, gw, client.clientId), WsConnection.DISCARD);
          mine.add(slot);
          slots.add(slot);
        }
        ops.add(() -> {
          WsSlot slot = mine.get((int) (turn.getAndIncrement() % mine.size()));
          return slot.request(Frames.encodePush(client.push(batch))).thenApply(reply -> new Load.Done(batch, reply.nanos()));
        });
      } else {
        List<String> tokens = gws.stream().map(gw -> workload.token(client.clientId, gw, false)).toList();
        ops.add(() -> {
          int k = (int) (turn.getAndIncrement() % gws.size());
          HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/sync/" + gws.get(k) + "/push"))
              .header("Authorization", "Bearer " + tokens.get(k))
              .header("Content-Type", "application/json")
              .timeout(Duration.ofSeconds(20))
              .POST(HttpRequest.BodyPublishers.ofByteArray(JsonCodec.encodePush(client.push(batch))))
              .build();
          return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> ok(response, batch));
        });
      }
    }
    openAll(slots);
    slots.forEach(slot -> connections.add(slot.connection()));
    Map<String, Object> result = measure(target, id, () -> Load.closedLoop(ops, warm, meas,
        hooksFor(target, id), executor, scheduler));
    result.put("unit", "deltas/s");
    result.put("transport", transport);
    result.put("batch", batch);
    result.put("gateways", gateways);
    result.put("clients", CLIENTS);
    if (transport.equals("ws")) {
      long frames = connections.stream().mapToLong(c -> c.broadcastFrames.sum()).sum();
      long bytes = connections.stream().mapToLong(c -> c.broadcastBytes.sum()).sum();
      result.put("broadcastFramesReceived", frames);
      result.put("broadcastMiBReceived", round(bytes / 1048576.0));
      result.put("reconnects", slots.stream().mapToInt(s -> s.connects.get() - 1).sum());
    }
    closeAll(slots);
    return result;
  }

  private static Load.Done ok(HttpResponse<byte[]> response, long items) {
    long now = System.nanoTime();
    if (response.statusCode() != 200) {
      String body = new String(response.body(), StandardCharsets.UTF_8);
      throw new CompletionException(new IOException("HTTP " + response.statusCode() + " "
          + body.substring(0, Math.min(100, body.length()))));
    }
    return new Load.Done(items, now);
  }

  // ---------------------------------------------------------------- push at half rate (latency)

  private double halfRate;

  /**
   * The latency target: WebSocket pushes of 100 deltas to 100 gateways, open loop at half of
   * min(target 100 000 deltas/s, the maximum just measured), one connection per gateway.
   */
  private Map<String, Object> halfRateOnNode() {
    double max = measuredThroughput("push-ws-b100-g100", "node");
    halfRate = 0.5 * Math.min(100_000, Double.isNaN(max) ? 100_000 : max);
    return halfRate(nodes, halfRate);
  }

  private Map<String, Object> halfRateOnCeiling() {
    return halfRate(ceiling, halfRate);
  }

  private Map<String, Object> halfRate(Target target, double deltasPerSecond) {
    int batch = 100;
    int gateways = 100;
    List<Load.Op> ops = new ArrayList<>();
    List<WsSlot> slots = new ArrayList<>();
    for (int g = 0; g < gateways; g++) {
      Workload.Client client = new Workload.Client("bench-h" + g);
      WsSlot slot = new WsSlot(wsClients.get(g % wsClients.size()), wsUri(target.base(g), "push-ws-b100-g100-half-" + g, client.clientId),
          WsConnection.DISCARD);
      slots.add(slot);
      ops.add(() -> slot.request(Frames.encodePush(client.push(batch))).thenApply(reply -> new Load.Done(batch, reply.nanos())));
    }
    openAll(slots);
    Map<String, Object> result = measure(target, "push-ws-b100-g100-half", () -> Load.openLoop(ops, deltasPerSecond / batch,
        warmup(target), measure(target), hooksFor(target, "push-ws-b100-g100-half"), executor, scheduler));
    result.put("unit", "deltas/s");
    result.put("offeredDeltasPerSecond", round(deltasPerSecond));
    result.put("transport", "ws");
    result.put("batch", batch);
    result.put("gateways", gateways);
    result.put("connections", gateways);
    result.put("loop", "open (latency from the intended send time)");
    closeAll(slots);
    return result;
  }

  // ---------------------------------------------------------------- pull

  private static final String PULL_GATEWAY = "pull-buffer";

  /** 2 closed-loop clients pulling 1 000 deltas from the start of a buffer of 2 000. */
  private Map<String, Object> pullBuffer(Target target, String transport) {
    if (target.node()) {
      fillPullGateway();
    }
    return pull(target, "pull-" + transport + "-buffer", transport, PULL_GATEWAY, 0);
  }

  private boolean pullGatewayFilled;

  private void fillPullGateway() {
    if (pullGatewayFilled) {
      return;
    }
    Workload.Client client = new Workload.Client("bench-p");
    WsSlot slot = new WsSlot(wsClients.get(0), wsUri(nodes.base(0), PULL_GATEWAY, client.clientId), WsConnection.DISCARD);
    for (int i = 0; i < 20; i++) {
      slot.request(Frames.encodePush(client.push(100))).join();
    }
    slot.abort();
    pullGatewayFilled = true;
  }

  private Map<String, Object> pull(Target target, String id, String transport, String gateway, long since) {
    List<Load.Op> ops = new ArrayList<>();
    List<WsSlot> slots = new ArrayList<>();
    AtomicLong wrongPages = new AtomicLong();
    for (int i = 0; i < PULL_CLIENTS; i++) {
      String clientId = "bench-r" + i;
      String base = target.base(i);
      if (transport.equals("ws")) {
        WsSlot slot = new WsSlot(wsClients.get(i % wsClients.size()), wsUri(base, gateway, clientId), WsConnection.DISCARD);
        slots.add(slot);
        byte[] frame = Frames.encodePull(SyncPull.newBuilder().setClientId(clientId).setSinceHlc(since).setMaxDeltas(PULL_LIMIT).build());
        ops.add(() -> slot.request(frame).thenApply(reply -> {
          int count = countDeltas(reply.bytes());
          if (count != PULL_LIMIT) {
            wrongPages.incrementAndGet();
            throw new CompletionException(new IOException("page of " + count + " deltas, expected " + PULL_LIMIT));
          }
          return new Load.Done(count, reply.nanos());
        }));
      } else {
        String token = workload.token(clientId, gateway, false);
        URI uri = URI.create(base + "/v1/sync/" + gateway + "/pull?since=" + Long.toUnsignedString(since) + "&limit=" + PULL_LIMIT);
        ops.add(() -> http.sendAsync(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofByteArray())
            .thenApply(response -> {
              Load.Done done = ok(response, PULL_LIMIT);
              int count = countJsonDeltas(response.body());
              if (count != PULL_LIMIT) {
                wrongPages.incrementAndGet();
                throw new CompletionException(new IOException("page of " + count + " deltas, expected " + PULL_LIMIT));
              }
              return done;
            }));
      }
    }
    openAll(slots);
    Map<String, Object> result = measure(target, id, () -> Load.closedLoop(ops, warmup(target), measure(target),
        hooksFor(target, id), executor, scheduler));
    result.put("unit", "deltas/s");
    result.put("transport", transport);
    result.put("clients", PULL_CLIENTS);
    result.put("deltasPerPull", PULL_LIMIT);
    result.put("wrongPages", wrongPages.get());
    closeAll(slots);
    return result;
  }

  private static int countDeltas(byte[] reply) {
    try {
      return SyncResponse.parseFrom(reply).getDeltasCount();
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  private int countJsonDeltas(byte[] body) {
    try {
      JsonNode deltas = json.readTree(body).get("deltas");
      return deltas == null ? -1 : deltas.size();
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  // ---------------------------------------------------------------- flush and the lake

  private static final double FLUSH_FILL_BYTES = 3.9 * 1024 * 1024;
  private String flushedGateway;

  /**
   * Fills a fresh gateway's buffer to about 3.9 MiB (just under the 4 MiB flush threshold, so
   * nothing flushes by itself; the bench runs the node with a 1 h buffer age), then times the
   * admin flush: Parquet written, committed to the Iceberg catalogue, journaled. Several rounds,
   * each once the node is idle again.
   */
  private Map<String, Object> flush() {
    List<Map<String, Object>> rounds = new ArrayList<>();
    List<String> gateways = new ArrayList<>();
    String runTag = Long.toString(System.currentTimeMillis() % 100000);
    for (int round = 1; round <= mode.flushRounds(); round++) {
      String gw = "flush-" + runTag + "-" + round;
      gateways.add(gw);
      String base = nodes.base(round);
      admin(base, "POST", "/v1/admin/schema/" + gw, Workload.schemaJson(), gw);
      Workload.Client client = new Workload.Client("bench-f" + round);
      WsSlot slot = new WsSlot(wsClients.get(0), wsUri(base, gw, client.clientId), WsConnection.DISCARD);
      long bytes = 0;
      int batch = 1000;
      long deltas = 0;
      while (batch > 0) {
        slot.request(Frames.encodePush(client.push(batch))).join();
        deltas += batch;
        bytes = metrics(base, gw).get("byteSize").asLong();
        double perDelta = (double) bytes / deltas;
        batch = (int) Math.min(1000, Math.floor((FLUSH_FILL_BYTES - bytes) / perDelta));
      }
      slot.abort();
    }
    Probe.Recording recording = startRecording(nodes, "flush");
    Histogram durations = new Histogram(3);
    List<Double> rowsPerSecond = new ArrayList<>();
    Probe.CpuWindow cpu = new Probe.CpuWindow(nodes.pids());
    cpu.start();
    double seconds = 0;
    long rows = 0;
    long bufferBytes = 0;
    long parquetBytes = 0;
    for (String gw : gateways) {
      String base = nodes.base(gateways.indexOf(gw) + 1);
      JsonNode before = metrics(base, gw);
      settle(); // the round before's checkpoint (it follows a flush of 10 000 rows) is not this flush's cost
      long t0 = System.nanoTime();
      JsonNode flushed = admin(base, "POST", "/v1/admin/flush/" + gw, null, gw);
      long elapsed = System.nanoTime() - t0;
      Map<String, Object> round = new LinkedHashMap<>();
      round.put("gateway", gw);
      round.put("ms", round(elapsed / 1e6));
      // The first flush creates the table and runs the Parquet and Iceberg code cold: reported, not counted.
      if (gateways.indexOf(gw) == 0 && gateways.size() > 1) {
        round.put("warmUp", true);
        rounds.add(round);
        continue;
      }
      durations.recordValue(elapsed);
      round.put("bufferedDeltas", before.get("logSize").asLong());
      round.put("bufferedBytes", before.get("byteSize").asLong());
      round.put("rows", flushed.get("rows").asLong());
      round.put("parquetBytes", flushed.get("bytes").asLong());
      round.put("files", flushed.get("files").size());
      round.put("rowsPerSecond", round(flushed.get("rows").asLong() / (elapsed / 1e9)));
      rounds.add(round);
      rowsPerSecond.add(flushed.get("rows").asLong() / (elapsed / 1e9));
      seconds += elapsed / 1e9;
      rows += flushed.get("rows").asLong();
      bufferBytes += before.get("byteSize").asLong();
      parquetBytes += flushed.get("bytes").asLong();
    }
    cpu.end();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unit", "rows/s");
    result.put("throughput", round(rows / seconds));
    result.put("bufferMBPerSecond", round(bufferBytes / seconds / 1e6));
    result.put("parquetMBPerSecond", round(parquetBytes / seconds / 1e6));
    result.put("latencyMs", latency(durations));
    result.put("errors", 0);
    result.put("rounds", rounds);
    putCpu(result, nodes, cpu);
    stopRecording(recording, result);
    flushedGateway = gateways.get(0);
    return result;
  }

  /** Pulls 1 000 deltas with an old cursor (0) from a gateway whose deltas are all in the lake. */
  private Map<String, Object> pullLake() {
    if (flushedGateway == null) {
      throw new IllegalStateException("the flush scenario did not run");
    }
    Map<String, Object> result = pull(nodes, "pull-http-lake", "http", flushedGateway, 0);
    result.put("gateway", flushedGateway);
    return result;
  }

  // ---------------------------------------------------------------- many gateways, one table

  static final String SHARED_FLUSH = "flush-shared-g100";
  private static final int SHARED_GATEWAYS = 100;

  /**
   * 100 gateways, each with {@code sharedFlushRows} deltas buffered (all of table todos, so all
   * in one Iceberg table), flushed through the admin API at once: the wall time from the first
   * request to the last answer gives commits/s and rows/s, the answers' commitRetries the commit
   * conflicts Iceberg retried. Then each gateway's deltas are pulled back from the lake: every
   * deltaId it was sent must come back exactly once.
   */
  private Map<String, Object> flushShared() {
    int perGateway = mode.sharedFlushRows();
    String runTag = Long.toString(System.currentTimeMillis() % 100000);
    List<String> gateways = new ArrayList<>();
    List<List<String>> sent = new ArrayList<>();
    List<CompletableFuture<?>> filling = new ArrayList<>();
    List<WsSlot> slots = new ArrayList<>();
    for (int g = 0; g < SHARED_GATEWAYS; g++) {
      String gw = "shared-" + runTag + "-" + g;
      Workload.Client client = new Workload.Client("bench-sh" + g);
      WsSlot slot = new WsSlot(wsClients.get(g % wsClients.size()), wsUri(nodes.base(g), gw, client.clientId), WsConnection.DISCARD);
      List<String> ids = new ArrayList<>();
      CompletableFuture<?> pushes = CompletableFuture.completedFuture(null);
      for (int left = perGateway; left > 0; left -= 1000) {
        SyncPush push = client.push(Math.min(1000, left));
        push.getDeltasList().forEach(delta -> ids.add(delta.getDeltaId()));
        byte[] frame = Frames.encodePush(push);
        pushes = pushes.thenCompose(done -> slot.request(frame));
      }
      gateways.add(gw);
      sent.add(ids);
      slots.add(slot);
      filling.add(pushes);
    }
    CompletableFuture.allOf(filling.toArray(CompletableFuture[]::new)).join();
    closeAll(slots);

    Probe.Recording recording = startRecording(nodes, SHARED_FLUSH);
    Probe.CpuWindow cpu = new Probe.CpuWindow(nodes.pids());
    Histogram durations = new Histogram(3);
    AtomicLong rows = new AtomicLong();
    AtomicLong commitRetries = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    cpu.start();
    long t0 = System.nanoTime();
    List<CompletableFuture<?>> flushes = new ArrayList<>();
    for (int g = 0; g < SHARED_GATEWAYS; g++) {
      String gw = gateways.get(g);
      HttpRequest request = HttpRequest.newBuilder(URI.create(nodes.base(g) + "/v1/admin/flush/" + gw))
          .header("Authorization", "Bearer " + workload.token("bench-admin", gw, true))
          .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.noBody()).build();
      long sentAt = System.nanoTime();
      flushes.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((response, error) -> {
        long elapsed = System.nanoTime() - sentAt;
        try {
          JsonNode flushed = error == null && response.statusCode() == 200 ? json.readTree(response.body()) : null;
          if (flushed == null || !flushed.path("flushed").asBoolean()) {
            failed.incrementAndGet();
            return null;
          }
          synchronized (durations) {
            durations.recordValue(elapsed);
          }
          rows.addAndGet(flushed.get("rows").asLong());
          commitRetries.addAndGet(flushed.path("commitRetries").asLong());
        } catch (IOException e) {
          failed.incrementAndGet();
        }
        return null;
      }));
    }
    CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new)).join();
    double seconds = (System.nanoTime() - t0) / 1e9;
    cpu.end();
    Map<String, Object> result = new LinkedHashMap<>();
    stopRecording(recording, result);

    long missing = 0;
    long duplicates = 0;
    long unexpected = 0;
    for (int g = 0; g < SHARED_GATEWAYS; g++) {
      List<String> back = lakeDeltaIds(nodes.base(g), gateways.get(g), perGateway + 1);
      Set<String> distinct = new HashSet<>(back);
      Set<String> expected = new HashSet<>(sent.get(g));
      duplicates += back.size() - distinct.size();
      missing += expected.stream().filter(id -> !distinct.contains(id)).count();
      unexpected += distinct.stream().filter(id -> !expected.contains(id)).count();
    }
    result.put("unit", "rows/s");
    result.put("throughput", round(rows.get() / seconds));
    result.put("commitsPerSecond", round((SHARED_GATEWAYS - failed.get()) / seconds));
    result.put("commitRetries", commitRetries.get());
    result.put("latencyMs", latency(durations));
    result.put("errors", failed.get() + missing + duplicates + unexpected);
    result.put("gateways", SHARED_GATEWAYS);
    result.put("rowsPerGateway", perGateway);
    result.put("seconds", round(seconds));
    result.put("failedFlushes", failed.get());
    result.put("missingRows", missing);
    result.put("duplicateRows", duplicates);
    result.put("unexpectedRows", unexpected);
    result.put("exactlyOnce", failed.get() + missing + duplicates + unexpected == 0);
    putCpu(result, nodes, cpu);
    return result;
  }

  /** The deltaIds of one HTTP pull from the start (all flushed, so all from the lake). */
  private List<String> lakeDeltaIds(String base, String gateway, int limit) {
    String token = workload.token("bench-check", gateway, false);
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/sync/" + gateway + "/pull?since=0&limit=" + limit))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).GET().build();
    try {
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("pull " + gateway + ": HTTP " + response.statusCode());
      }
      List<String> ids = new ArrayList<>();
      json.readTree(response.body()).path("deltas").forEach(delta -> ids.add(delta.path("deltaId").asText()));
      return ids;
    } catch (IOException e) {
      throw new IllegalStateException("pull " + gateway + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- broadcast

  /**
   * One pusher, 1 000 WebSocket subscribers on one gateway: pushes of one delta leave at a fixed
   * rate; every subscriber timestamps each delivery, matched to its push by the delta's rowId.
   */
  private Map<String, Object> broadcast(Target target) {
    String gw = "broadcast-" + (target.node() ? "node" : "ceiling");
    int subscribers = mode.subscribers();
    PacedFanOut fanOut = new PacedFanOut(mode.broadcastRate(),
        target.node() ? mode.warmup() : mode.ceilingWarmup(), mode.broadcastMeasure());
    WsConnection.BroadcastSink sink = (frame, nanos) -> {
      try {
        SyncResponse response = SyncResponse.parseFrom(CodedInputStream.newInstance(frame, 1, frame.length - 1));
        for (RowDelta delta : response.getDeltasList()) {
          String rowId = delta.getRowId();
          if (rowId.startsWith("b")) {
            fanOut.delivered(Long.parseLong(rowId.substring(1)), nanos);
          }
        }
      } catch (IOException | RuntimeException e) {
        // counted as missing
      }
    };
    List<WsSlot> subs = new ArrayList<>();
    for (int i = 0; i < subscribers; i++) {
      subs.add(new WsSlot(wsClients.get(i % wsClients.size()), wsUri(target.base(i), gw, "bench-s" + i), sink));
    }
    long t0 = System.nanoTime();
    openAll(subs);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    Workload.Client pusher = new Workload.Client("bench-pusher");
    WsSlot push = new WsSlot(wsClients.get(0), wsUri(target.base(0), gw, pusher.clientId), WsConnection.DISCARD);
    openAll(List.of(push));
    int sessions = -1;
    if (target.node()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      do {
        sessions = metrics(target.base(0), gw).get("sessions").asInt();
      } while (sessions < subscribers + 1 && System.nanoTime() < deadline && sleepMs(100));
    }
    Probe.Recording recording = startRecording(target, "broadcast");
    Probe.CpuWindow cpu = new Probe.CpuWindow(target.pids());
    PacedFanOut.Window window = fanOut.run("broadcast-pusher",
        k -> push.request(Frames.encodePush(pusher.tagged("b" + k))), subscribers, cpu);
    Map<String, Object> result = fanOut.result(window, 0);
    result.put("subscribers", subscribers);
    result.put("sessionsSeenByNode", sessions);
    result.put("pushesPerSecond", mode.broadcastRate());
    result.put("pushesMeasured", window.sends());
    result.put("pushAckErrors", fanOut.sendErrors.sum());
    result.put("subscriberConnectSeconds", round(connectSeconds));
    putCpu(result, target, cpu);
    stopRecording(recording, result);
    push.abort();
    subs.forEach(WsSlot::abort);
    return result;
  }

  /**
   * What the broadcast and SSE scenarios share: one sender at a fixed rate, its sends numbered
   * 0, 1, ...; every receiver reports each delivery of send n, and those of sends in the measured
   * window count, with their latency from the send.
   */
  private static final class PacedFanOut {
    /** How the measured window went: its length, the sends in it, and the deliveries they owe. */
    record Window(double seconds, long sends, long expected) {}

    private final double rate;
    private final Duration warm;
    private final Duration measure;
    private final int capacity;
    private final AtomicLongArray sentAt;
    private final AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong measureTo = new AtomicLong(Long.MAX_VALUE);
    private final Recorder recorder = new Recorder(3);
    private final LongAdder delivered = new LongAdder();
    final LongAdder sendErrors = new LongAdder();

    PacedFanOut(double rate, Duration warm, Duration measure) {
      this.rate = rate;
      this.warm = warm;
      this.measure = measure;
      this.capacity = (int) (rate * (warm.toSeconds() + measure.toSeconds() + 30)) + 1000;
      this.sentAt = new AtomicLongArray(capacity);
    }

    /** Whether {@code seq} can be a send of this run. */
    boolean isSend(long seq) {
      return seq >= 0 && seq < capacity;
    }

    /** A receiver got send {@code seq} at {@code nanos}. */
    void delivered(long seq, long nanos) {
      if (seq >= measureFrom.get() && seq < measureTo.get()) {
        recorder.recordValue(Math.max(1, nanos - sentAt.get((int) seq)));
        delivered.increment();
      }
    }

    /**
     * Sends at the rate through warm-up and measurement (send k by {@code send.apply(k)}), then
     * waits up to 5 s for {@code receivers} deliveries of each measured send.
     */
    Window run(String thread, LongFunction<CompletableFuture<?>> send, long receivers, Probe.CpuWindow cpu) {
      AtomicLong next = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      Thread sender = new Thread(() -> {
        double interval = 1e9 / rate;
        long origin = System.nanoTime();
        for (long k = 0; !stop.get() && k < capacity; k++) {
          long due = origin + (long) (k * interval);
          long wait;
          while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          sentAt.set((int) k, System.nanoTime());
          next.set(k + 1);
          send.apply(k).whenComplete((reply, error) -> {
            if (error != null) {
              sendErrors.increment();
            }
          });
        }
      }, thread);
      sender.setDaemon(true);
      sender.start();
      Load.sleep(warm);
      recorder.reset();
      cpu.start();
      measureFrom.set(next.get());
      long start = System.nanoTime();
      Load.sleep(measure);
      measureTo.set(next.get());
      double seconds = (System.nanoTime() - start) / 1e9;
      stop.set(true);
      long sends = measureTo.get() - measureFrom.get();
      long expected = sends * receivers;
      long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (delivered.sum() < expected && System.nanoTime() < drainDeadline) {
        sleepMs(50);
      }
      cpu.end();
      return new Window(seconds, sends, expected);
    }

    /** Throughput and latency; errors are missing deliveries, send errors and {@code otherErrors}. */
    Map<String, Object> result(Window window, long otherErrors) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("unit", "deliveries/s");
      result.put("throughput", round(delivered.sum() / window.seconds()));
      result.put("latencyMs", latency(recorder.getIntervalHistogram()));
      result.put("errors", window.expected() - delivered.sum() + sendErrors.sum() + otherErrors);
      result.put("deliveriesExpected", window.expected());
      result.put("deliveriesMeasured", delivered.sum());
      result.put("seconds", round(window.seconds()));
      return result;
    }
  }

  // ---------------------------------------------------------------- Durable Streams

  /** What the stream scenarios compare with; scripts/bench installs and starts this version. */
  static final String REFERENCE_SERVER = "@durable-streams/server 0.3.7 (in-memory store)";
  static final int STREAM_APPEND_STREAMS = 5;
  static final int STREAM_APPEND_BYTES = 128;
  /** One hot stream: what group commit is for (every append of the 16 contends for one entity). */
  static final int STREAM_ONE_CLIENTS = 16;
  static final int STREAM_ONE_BYTES = 256;
  static final int STREAM_READ_MESSAGE_BYTES = 4096;
  static final int STREAM_READ_CLIENTS = 2;
  private static final String OCTETS = "application/octet-stream";

  private final String streamTag = Long.toString(System.currentTimeMillis() % 100000);

  /**
   * {@code clients} closed-loop clients appending {@code bodyBytes}-byte bodies (POST /v1/stream/{id})
   * to {@code streamCount} streams, one append in flight each (a connection each); an append counts
   * when it is acknowledged (on the node: durable).
   */
  private Map<String, Object> streamAppend(Target target, String id, int streamCount, int clients, int bodyBytes) {
    List<String> streams = new ArrayList<>();
    for (int k = 0; k < streamCount; k++) {
      streams.add(streamUrl(target, k, id + "-" + streamTag + "-" + k));
      createStream(streams.get(k), OCTETS);
    }
    byte[] body = new byte[bodyBytes];
    Arrays.fill(body, (byte) 'x');
    List<Load.Op> ops = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      URI stream = URI.create(streams.get(i % streams.size()));
      ops.add(() -> append(stream, OCTETS, body).thenApply(nanos -> new Load.Done(1, nanos)));
    }
    Map<String, Object> result = measure(target, id, () -> Load.closedLoop(ops, mode.streamWarmup(), mode.streamMeasure(),
        hooksFor(target, id), executor, scheduler));
    result.put("unit", "appends/s");
    result.put("MBPerSecond", round(number(result.get("throughput")) * bodyBytes / 1e6));
    result.put("clients", clients);
    result.put("streams", streamCount);
    result.put("bodyBytes", bodyBytes);
    return result;
  }

  /**
   * Catch-up reads: a stream filled beforehand with 4 KiB messages (4 MiB quick, 32 MiB full) is
   * read from offset -1, following Stream-Next-Offset until Stream-Up-To-Date, by 2 closed-loop
   * readers; each whole catch-up is one operation (its latency is the whole read).
   */
  private Map<String, Object> streamRead(Target target) {
    String id = "stream-read";
    String stream = streamUrl(target, 0, "read-" + streamTag);
    createStream(stream, OCTETS);
    int messages = mode.streamReadMiB() * 1024 * 1024 / STREAM_READ_MESSAGE_BYTES;
    long filled = fillStream(URI.create(stream), messages);
    List<Load.Op> ops = new ArrayList<>();
    for (int i = 0; i < STREAM_READ_CLIENTS; i++) {
      ops.add(() -> catchUp(stream, "-1", 0, 0).thenApply(read -> {
        long now = System.nanoTime();
        if (read[0] != filled) {
          throw new CompletionException(new IOException("caught up with " + read[0] + " bytes, expected " + filled));
        }
        return new Load.Done(read[0], now);
      }));
    }
    long t0 = System.nanoTime();
    long[] first = catchUp(stream, "-1", 0, 0).join();
    double firstSeconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> result = measure(target, id, () -> Load.closedLoop(ops, mode.streamWarmup(), mode.streamMeasure(),
        hooksFor(target, id), executor, scheduler));
    result.put("bytesPerSecond", result.get("throughput"));
    result.put("throughput", round(number(result.get("throughput")) / 1e6));
    result.put("unit", "MB/s");
    result.put("catchUpsPerSecond", result.remove("opsPerSecond"));
    result.put("streamBytes", filled);
    result.put("messageBytes", STREAM_READ_MESSAGE_BYTES);
    result.put("responsesPerCatchUp", first[1]);
    result.put("firstCatchUpSeconds", round(firstSeconds));
    result.put("clients", STREAM_READ_CLIENTS);
    return result;
  }

  /** Appends {@code messages} 4 KiB bodies, 16 at a time; returns the bytes written. */
  private long fillStream(URI stream, int messages) {
    byte[] body = new byte[STREAM_READ_MESSAGE_BYTES];
    Arrays.fill(body, (byte) 'r');
    AtomicLong errors = new AtomicLong();
    forEachAsync(messages, 16, i -> append(stream, OCTETS, body).handle((nanos, error) -> {
      if (error != null) {
        errors.incrementAndGet();
      }
      return null;
    }));
    if (errors.get() > 0) {
      throw new IllegalStateException(errors.get() + " of " + messages + " appends failed while filling " + stream);
    }
    return (long) messages * STREAM_READ_MESSAGE_BYTES;
  }

  /** Reads from {@code offset} to the tail: {bytes read, responses}. */
  private CompletableFuture<long[]> catchUp(String stream, String offset, long bytes, long responses) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(stream + "?offset=" + URLEncoder.encode(offset, StandardCharsets.UTF_8)))
        .timeout(Duration.ofSeconds(60)).GET().build();
    return http.sendAsync(request, COUNT_BYTES).thenCompose(response -> {
      if (response.statusCode() != 200) {
        throw new CompletionException(new IOException("HTTP " + response.statusCode() + " reading " + stream));
      }
      long total = bytes + response.body();
      String next = response.headers().firstValue("Stream-Next-Offset")
          .orElseThrow(() -> new CompletionException(new IOException("no Stream-Next-Offset")));
      if (response.headers().firstValue("Stream-Up-To-Date").isPresent()) {
        return CompletableFuture.completedFuture(new long[] {total, responses + 1});
      }
      if (next.equals(offset)) {
        throw new CompletionException(new IOException("Stream-Next-Offset did not move from " + offset));
      }
      return catchUp(stream, next, total, responses + 1);
    });
  }

  /** Counts a response body's bytes without keeping them. */
  private static final HttpResponse.BodyHandler<Long> COUNT_BYTES =
      info -> HttpResponse.BodySubscribers.fromSubscriber(new ByteCounter(), ByteCounter::total);

  private static final class ByteCounter implements Flow.Subscriber<List<ByteBuffer>> {
    private long total;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      buffers.forEach(buffer -> total += buffer.remaining());
    }

    @Override
    public void onError(Throwable error) {}

    @Override
    public void onComplete() {}

    long total() {
      return total;
    }
  }

  /**
   * One appender, 1 000 {@code live=sse} readers on one text/plain stream: appends of "s{n}" leave
   * at a fixed rate; every reader timestamps each data event, matched to its append by n, so the
   * latency is append sent to event delivered, at every reader.
   */
  private Map<String, Object> streamSse(Target target) {
    String stream = streamUrl(target, 0, "sse-" + streamTag);
    createStream(stream, "text/plain");
    int readers = mode.subscribers();
    PacedFanOut fanOut = new PacedFanOut(mode.broadcastRate(), mode.streamWarmup(), mode.streamMeasure());
    LongAdder strays = new LongAdder();
    SseReader.Sink sink = (payload, nanos) -> {
      long seq = payload.startsWith("s") ? parseOrMinus(payload.substring(1)) : -1;
      if (fanOut.isSend(seq)) {
        fanOut.delivered(seq, nanos);
      } else {
        strays.increment();
      }
    };
    List<SseReader> subs = new ArrayList<>();
    long t0 = System.nanoTime();
    AtomicInteger failed = new AtomicInteger();
    forEachAsync(readers, 64, i -> {
      SseReader reader = new SseReader(sink);
      synchronized (subs) {
        subs.add(reader);
      }
      HttpRequest request = HttpRequest.newBuilder(URI.create(streamUrl(target, i, "sse-" + streamTag) + "?offset=-1&live=sse"))
          .GET().build();
      // the WebSocket clients' two selector threads share the 1 000 connections' I/O
      wsClients.get(i % wsClients.size()).sendAsync(request, reader.handler())
          .whenComplete((response, error) -> reader.ready.completeExceptionally(
              error != null ? error : new IOException("the event stream ended")));
      return reader.ready.orTimeout(20, TimeUnit.SECONDS).whenComplete((ok, error) -> {
        if (error != null) {
          failed.incrementAndGet();
        }
      });
    });
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    if (failed.get() > 0) {
      say("  " + failed.get() + " of " + readers + " SSE readers failed to connect");
    }
    Probe.Recording recording = startRecording(target, "stream-sse");
    Probe.CpuWindow cpu = new Probe.CpuWindow(target.pids());
    URI appendTo = URI.create(stream);
    PacedFanOut.Window window = fanOut.run("stream-appender",
        k -> append(appendTo, "text/plain", ("s" + k).getBytes(StandardCharsets.UTF_8)), readers - failed.get(), cpu);
    Map<String, Object> result = fanOut.result(window, failed.get() + strays.sum());
    result.put("readers", readers);
    result.put("readersFailed", failed.get());
    result.put("appendsPerSecond", mode.broadcastRate());
    result.put("appendsMeasured", window.sends());
    result.put("appendErrors", fanOut.sendErrors.sum());
    result.put("unexpectedEvents", strays.sum());
    result.put("readerConnectSeconds", round(connectSeconds));
    putCpu(result, target, cpu);
    stopRecording(recording, result);
    subs.forEach(SseReader::cancel);
    return result;
  }

  /** The stream's URL on the target's server for client {@code i} (nodes of a cluster in turn). */
  private static String streamUrl(Target target, int i, String name) {
    return target.base(i) + "/v1/stream/bench-" + name;
  }

  private void createStream(String url, String contentType) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
        .timeout(Duration.ofSeconds(30)).PUT(HttpRequest.BodyPublishers.noBody()).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 201 && response.statusCode() != 200) {
        throw new IllegalStateException("PUT " + url + ": HTTP " + response.statusCode() + " " + response.body());
      }
    } catch (IOException e) {
      throw new IllegalStateException("PUT " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** POST one append; completes with the System.nanoTime() of its acknowledgement (any 2xx). */
  private CompletableFuture<Long> append(URI stream, String contentType, byte[] body) {
    HttpRequest request = HttpRequest.newBuilder(stream).header("Content-Type", contentType)
        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
      long now = System.nanoTime();
      if (response.statusCode() / 100 != 2) {
        String text = response.body();
        throw new CompletionException(new IOException("HTTP " + response.statusCode() + " "
            + text.substring(0, Math.min(100, text.length()))));
      }
      return now;
    });
  }

  private static long parseOrMinus(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static double number(Object o) {
    return Report.number(o);
  }

  // ---------------------------------------------------------------- memory

  private String idleTag;

  /**
   * Heap (after a full GC, jcmd GC.run + GC.heap_info) and RSS of the node: before, after
   * starting N idle gateways holding 10 buffered deltas each (an HTTP push to each), and with N
   * WebSocket sessions open on top (one per gateway).
   */
  private Map<String, Object> memory() {
    int n = mode.idleGateways();
    long pid = nodes.pids().get(0);
    idleTag = Long.toString(System.currentTimeMillis() % 100000);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unit", "heap MiB");
    result.put("gateways", n);
    result.put("before", memoryOf(pid));
    Probe.Recording recording = startRecording(nodes, "memory");
    long t0 = System.nanoTime();
    AtomicLong errors = new AtomicLong();
    forEachAsync(n, 32, i -> {
      String gw = "idle-" + idleTag + "-" + i;
      Workload.Client client = new Workload.Client("bench-idle");
      HttpRequest request = HttpRequest.newBuilder(URI.create(nodes.base(i) + "/v1/sync/" + gw + "/push"))
          .header("Authorization", "Bearer " + workload.token(client.clientId, gw, false))
          .header("Content-Type", "application/json")
          .timeout(Duration.ofSeconds(30))
          .POST(HttpRequest.BodyPublishers.ofByteArray(JsonCodec.encodePush(client.push(IDLE_DELTAS))))
          .build();
      return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> ok(response, 1))
          .handle((done, error) -> {
            if (error != null) {
              errors.incrementAndGet();
            }
            return null;
          });
    });
    double startSeconds = (System.nanoTime() - t0) / 1e9;
    stopRecording(recording, result);
    result.put("gatewaysStartedPerSecond", round(n / startSeconds));
    result.put("gatewayErrors", errors.get());
    Map<String, Object> withGateways = memoryOf(pid);
    result.put("withIdleGateways", withGateways);
    List<WsSlot> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String gw = "idle-" + idleTag + "-" + i;
      sessions.add(new WsSlot(wsClients.get(i % wsClients.size()), wsUri(nodes.base(i), gw, "bench-idle"), WsConnection.DISCARD));
    }
    t0 = System.nanoTime();
    int failed = openAll(sessions);
    result.put("sessionsOpenedPerSecond", round(n / ((System.nanoTime() - t0) / 1e9)));
    result.put("sessionErrors", failed);
    sleepMs(1000);
    result.put("withSessions", memoryOf(pid));
    sessions.forEach(WsSlot::abort);
    long before = ((Number) ((Map<?, ?>) result.get("before")).get("heapUsedBytes")).longValue();
    long after = ((Number) withGateways.get("heapUsedBytes")).longValue();
    result.put("heapBytesPerIdleGateway", (after - before) / n);
    result.put("throughput", withGateways.get("heapUsedMiB"));
    result.put("errors", errors.get() + failed);
    return result;
  }

  /**
   * The node's heap and RSS after every scenario: the idle gateways plus what the busy ones
   * (push, pull, flush, broadcast) still hold (buffers, row indexes, dedupe sets).
   */
  private Map<String, Object> memoryAtEnd() {
    Map<String, Object> result = new LinkedHashMap<>();
    Map<String, Object> now = memoryOf(nodes.pids().get(0));
    result.putAll(now);
    result.put("unit", "heap MiB");
    result.put("throughput", now.get("heapUsedMiB"));
    result.put("errors", 0);
    return result;
  }

  static final int HEAP_PUSHERS = 4;
  static final int HEAP_BATCH = 1_000;
  /** Refusals in a row (100 ms apart) after which a pusher gives up: the node no longer flushes. */
  static final int HEAP_MAX_REFUSALS = 600;

  /**
   * The heap one gateway keeps after {@code heapRows} distinct rows were pushed to it (WebSocket,
   * four pushers, batches of 1 000) and flushed, by size as in production and then by the admin
   * route: the node's heap after a full GC, after the last flush minus before the first push.
   * Its row index keeps only the flushed rows it still merges against (row-window), so this
   * should not grow with the rows. A push refused (BACKPRESSURE while a flush runs) is sent again.
   */
  private Map<String, Object> heapRows() {
    long rows = mode.heapRows();
    long pid = nodes.pids().get(0);
    String gw = "heap-rows-" + System.currentTimeMillis() % 100000;
    String base = nodes.base(0);
    admin(base, "POST", "/v1/admin/schema/" + gw, Workload.schemaJson(), gw);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unit", "heap MiB");
    result.put("rows", rows);
    result.put("before", memoryOf(pid));
    Probe.Recording recording = startRecording(nodes, "heap-rows");
    Probe.CpuWindow cpu = new Probe.CpuWindow(nodes.pids());
    AtomicLong refused = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(HEAP_PUSHERS, daemon("heap-rows"));
    List<CompletableFuture<Void>> pushers = new ArrayList<>();
    cpu.start();
    long t0 = System.nanoTime();
    for (int p = 0; p < HEAP_PUSHERS; p++) {
      Workload.Client client = new Workload.Client("bench-h" + p, Long.MAX_VALUE);
      WsSlot slot = new WsSlot(wsClients.get(p % wsClients.size()), wsUri(base, gw, client.clientId), WsConnection.DISCARD);
      long share = rows / HEAP_PUSHERS + (p < rows % HEAP_PUSHERS ? 1 : 0);
      pushers.add(CompletableFuture.runAsync(() -> {
        for (long sent = 0; sent < share; sent += HEAP_BATCH) {
          byte[] frame = Frames.encodePush(client.push((int) Math.min(HEAP_BATCH, share - sent)));
          for (int inARow = 0; !accepted(slot, frame); inARow++) {
            if (inARow == HEAP_MAX_REFUSALS) {
              throw new IllegalStateException(HEAP_MAX_REFUSALS + " pushes refused in a row");
            }
            refused.incrementAndGet();
            sleepMs(100);
          }
        }
        slot.abort();
      }, pool));
    }
    try {
      CompletableFuture.allOf(pushers.toArray(CompletableFuture[]::new)).join();
    } finally {
      pool.shutdownNow();
    }
    double pushSeconds = (System.nanoTime() - t0) / 1e9;
    admin(base, "POST", "/v1/admin/flush/" + gw, null, gw);
    cpu.end();
    stopRecording(recording, result);
    JsonNode gateway = metrics(base, gw);
    // the checkpoint a flush may have started holds every row of the gateway while it is written: measured after it
    result.put("settleSeconds", settle());
    Map<String, Object> after = memoryOf(pid);
    result.put("after", after);
    long grown = ((Number) after.get("heapUsedBytes")).longValue()
        - ((Number) ((Map<?, ?>) result.get("before")).get("heapUsedBytes")).longValue();
    result.put("throughput", round(grown / 1048576.0));
    result.put("rowsPushedPerSecond", round(rows / pushSeconds));
    result.put("refusedPushes", refused.get());
    result.put("flushes", gateway.get("lastFlushSeq").asLong());
    result.put("indexRows", gateway.get("indexSize").asLong());
    result.put("bufferedDeltas", gateway.get("logSize").asLong());
    result.put("errors", 0);
    putCpu(result, nodes, cpu);
    return result;
  }

  /** Whether the node acknowledged the push; a refusal closes the WebSocket (the slot opens a new one next time). */
  private static boolean accepted(WsSlot slot, byte[] frame) {
    try {
      slot.request(frame).orTimeout(60, TimeUnit.SECONDS).join();
      return true;
    } catch (CompletionException e) {
      if (e.getCause() instanceof TimeoutException) {
        throw e;
      }
      return false;
    }
  }

  /** The ceiling's heap and RSS with the same number of idle WebSocket sessions (no entities behind them). */
  private Map<String, Object> memoryCeiling() {
    int n = mode.idleGateways();
    long pid = ceiling.pids().get(0);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unit", "heap MiB");
    result.put("before", memoryOf(pid));
    List<WsSlot> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(new WsSlot(wsClients.get(i % wsClients.size()), wsUri(ceiling.base(0), "idle-" + i, "bench-idle"),
          WsConnection.DISCARD));
    }
    int failed = openAll(sessions);
    sleepMs(1000);
    Map<String, Object> with = memoryOf(pid);
    result.put("withSessions", with);
    result.put("sessionErrors", failed);
    result.put("throughput", with.get("heapUsedMiB"));
    result.put("errors", failed);
    sessions.forEach(WsSlot::abort);
    return result;
  }

  private static Map<String, Object> memoryOf(long pid) {
    long[] heap = Probe.heapAfterGc(pid);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("heapUsedBytes", heap[0]);
    m.put("heapUsedMiB", round(heap[0] / 1048576.0));
    m.put("heapCommittedMiB", round(heap[1] / 1048576.0));
    m.put("rssMiB", round(Probe.rssBytes(pid) / 1048576.0));
    return m;
  }

  // ---------------------------------------------------------------- plumbing

  private Duration warmup(Target target) {
    return target.node() ? mode.warmup() : mode.ceilingWarmup();
  }

  private Duration measure(Target target) {
    return target.node() ? mode.measure() : mode.ceilingMeasure();
  }

  private final Map<String, Probe.CpuWindow> cpuWindows = new LinkedHashMap<>();

  private Load.WindowHooks hooksFor(Target target, String id) {
    Probe.CpuWindow cpu = new Probe.CpuWindow(target.pids());
    cpuWindows.put(target.name() + "/" + id, cpu);
    return new Load.WindowHooks() {
      @Override
      public void started() {
        cpu.start();
      }

      @Override
      public void ended() {
        cpu.end();
      }
    };
  }

  /** Runs a closed or open loop with a JFR recording around it (node, --jfr-dir), and shapes its result. */
  private Map<String, Object> measure(Target target, String id, Supplier<Load.Window> run) {
    Probe.Recording recording = startRecording(target, id);
    Load.Window window = run.get();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("throughput", round(window.itemsPerSecond()));
    result.put("opsPerSecond", round(window.opsPerSecond()));
    result.put("latencyMs", latency(window.latency()));
    result.put("errors", window.errors());
    if (!window.errorKinds().isEmpty()) {
      result.put("errorKinds", window.errorKinds());
    }
    result.put("seconds", round(window.seconds()));
    Probe.CpuWindow cpu = cpuWindows.get(target.name() + "/" + id);
    if (cpu != null) {
      putCpu(result, target, cpu);
    }
    stopRecording(recording, result);
    return result;
  }

  /** CPU of the window, and the node's GC pauses in it when its GC log is known. */
  private void putCpu(Map<String, Object> result, Target target, Probe.CpuWindow cpu) {
    result.put("cpuCores", cpu.cores);
    result.put("serverThreadCores", cpu.threadCores);
    if (target.node() && gcLog != null) {
      result.put("gcPauses", GcLog.pauses(gcLog, cpu.startMillis, cpu.endMillis));
    }
  }

  private Probe.Recording startRecording(Target target, String id) {
    if (jfrDir == null || !target.node() || target.pids().isEmpty()) {
      return null;
    }
    Probe.Recording recording = new Probe.Recording(target.pids().get(0), "bench-" + id, jfrDir.resolve(id + ".jfr"),
        id.equals("flush") ? "1ms" : null);
    recording.start();
    return recording;
  }

  private static void stopRecording(Probe.Recording recording, Map<String, Object> result) {
    if (recording == null) {
      return;
    }
    recording.stop();
    result.put("profile", Probe.profile(recording.file, 15));
    result.put("jfr", recording.file.toString());
  }

  private static Map<String, Object> latency(Histogram h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", h.getTotalCount());
    if (h.getTotalCount() > 0) {
      m.put("p50", ms(h.getValueAtPercentile(50)));
      m.put("p90", ms(h.getValueAtPercentile(90)));
      m.put("p99", ms(h.getValueAtPercentile(99)));
      m.put("p999", ms(h.getValueAtPercentile(99.9)));
      m.put("max", ms(h.getMaxValue()));
    }
    return m;
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  private URI wsUri(String base, String gateway, String clientId) {
    String token = workload.token(clientId, gateway, false);
    return URI.create(base.replaceFirst("^http", "ws") + "/v1/sync/" + gateway + "/ws?token="
        + URLEncoder.encode(token, StandardCharsets.UTF_8));
  }

  /** Opens every slot, at most 64 handshakes at a time; returns how many failed. */
  private static int openAll(List<WsSlot> slots) {
    Semaphore permits = new Semaphore(64);
    AtomicInteger failed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(slots.size());
    for (WsSlot slot : slots) {
      permits.acquireUninterruptibly();
      slot.connect().whenComplete((c, e) -> {
        if (e != null) {
          failed.incrementAndGet();
        }
        permits.release();
        done.countDown();
      });
    }
    try {
      done.await(120, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failed.get() > 0) {
      say("  " + failed.get() + " of " + slots.size() + " WebSocket connections failed to open");
    }
    return failed.get();
  }

  /** Drops the connections (the server sees them close); nothing is waited for. */
  private static void closeAll(List<WsSlot> slots) {
    slots.forEach(WsSlot::abort);
  }

  /** Runs {@code task(i)} for i in [0, n), {@code parallel} at a time. */
  private static void forEachAsync(int n, int parallel, java.util.function.IntFunction<CompletableFuture<?>> task) {
    Semaphore permits = new Semaphore(parallel);
    CountDownLatch done = new CountDownLatch(n);
    for (int i = 0; i < n; i++) {
      permits.acquireUninterruptibly();
      task.apply(i).whenComplete((r, e) -> {
        permits.release();
        done.countDown();
      });
    }
    try {
      done.await(300, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private JsonNode metrics(String base, String gateway) {
    return admin(base, "GET", "/v1/admin/metrics/" + gateway, null, gateway);
  }

  private JsonNode admin(String base, String method, String path, String body, String gateway) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + workload.token("bench-admin", gateway, true))
        .timeout(Duration.ofSeconds(60));
    if (method.equals("POST")) {
      request.header("Content-Type", "application/json")
          .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    } else {
      request.GET();
    }
    try {
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(method + " " + path + ": HTTP " + response.statusCode() + " "
            + new String(response.body(), StandardCharsets.UTF_8));
      }
      return json.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private double measuredThroughput(String id, String target) {
    for (Map<String, Object> result : results) {
      if (result.get("id").equals(id) && result.get(target) instanceof Map<?, ?> m && m.get("throughput") instanceof Number n) {
        return n.doubleValue();
      }
    }
    return Double.NaN;
  }

  private static List<Long> pids(String list) {
    if (list == null || list.isBlank()) {
      return List.of();
    }
    return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
  }

  private static boolean sleepMs(long ms) {
    Load.sleep(Duration.ofMillis(ms));
    return true;
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static void say(String line) {
    System.err.println("bench: " + line);
  }

  private static String summary(Map<String, Object> result) {
    StringBuilder s = new StringBuilder();
    for (String target : List.of("node", "ceiling", "reference")) {
      if (result.get(target) instanceof Map<?, ?> m) {
        s.append(target).append(' ');
        if (m.containsKey("failed")) {
          s.append("FAILED ").append(m.get("failed"));
        } else if (m.containsKey("skipped")) {
          s.append("skipped (").append(m.get("skipped")).append(')');
        } else {
          s.append(m.get("throughput")).append(' ').append(m.get("unit"));
          if (m.get("latencyMs") instanceof Map<?, ?> l && l.containsKey("p99")) {
            s.append(" p99 ").append(l.get("p99")).append(" ms");
          }
          s.append(" errors ").append(m.get("errors"));
        }
        s.append("  ");
      }
    }
    return s.toString();
  }

  // ---------------------------------------------------------------- output

  private void writeAndPrint() throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("startedAt", Instant.now().minusNanos(System.nanoTime() - startedNanos).toString());
    doc.put("mode", mode.name());
    doc.put("setup", setup);
    doc.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(),
        "java", System.getProperty("java.version"), "os", System.getProperty("os.name") + " " + System.getProperty("os.version")));
    doc.put("node", Map.of("urls", nodes.bases(), "pids", nodes.pids(), "jvmFlags", System.getProperty("bench.nodeFlags", "")));
    doc.put("reference", reference == null ? Map.of("skipped", referenceSkipped)
        : Map.of("server", REFERENCE_SERVER, "url", reference.bases().get(0), "pids", reference.pids()));
    doc.put("livestoreWorker", worker == null ? Map.of("skipped", workerSkipped)
        : Map.of("server", LiveStoreBench.REFERENCE, "url", worker.bases().get(0), "pids", worker.pids()));
    doc.put("runSeconds", round((System.nanoTime() - startedNanos) / 1e9));
    List<Map<String, Object>> targets = new ArrayList<>(Report.targets(results, setup));
    targets.addAll(LiveStoreBench.targets(results));
    doc.put("targets", targets);
    doc.put("scenarios", results);
    Files.createDirectories(out.toAbsolutePath().getParent());
    json.writeValue(out.toFile(), doc);
    System.out.println(Report.table(results, targets, mode.name(), setup,
        List.of(new Report.Reference("stream-", "Durable Streams", REFERENCE_SERVER),
            new Report.Reference("livestore-", "LiveStore", LiveStoreBench.REFERENCE))));
    System.out.println("results: " + out);
  }
}
