package io.lakeshard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;

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
        // Windows sized so the whole run stays under ten minutes (756 s with 3 s + 6 s windows).
        case "full" -> new Mode("full", Duration.ofSeconds(8), Duration.ofSeconds(2), Duration.ofSeconds(4),
            Duration.ofSeconds(1), Duration.ofSeconds(3), 10_000, 5, 1_000, 20, Duration.ofSeconds(4),
            Duration.ofSeconds(2), Duration.ofSeconds(4), 32, 1_000_000, 4_000);
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
  private final Measuring measuring;
  private final StreamBench streams;
  private final NodeApi api;
  private final LakeBench lake;
  private final LakeSyncBench lakeSync;
  private final MemoryBench memory;
  private final Path out;
  private final String setup;
  private final List<String> only;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private final ExecutorService executor = Executors.newFixedThreadPool(2, Concurrently.daemon("load"));
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(Concurrently.daemon("load-timer"));
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
    this.measuring = new Measuring(options.containsKey("jfr-dir") ? Path.of(options.get("jfr-dir")) : null,
        options.containsKey("node-gc-log") ? Path.of(options.get("node-gc-log")) : null);
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
    this.liveStore = new LiveStoreBench(mode.name().equals("quick"), wsClients.get(0), executor, scheduler, measuring,
        options.getOrDefault("livestore-token", "lakeshard-bench-token"));
    this.streams = new StreamBench(mode, http, wsClients, executor, scheduler, measuring);
    this.api = new NodeApi(workload, http);
    this.lake = new LakeBench(mode, nodes, api, workload, http, wsClients, measuring, this::settle);
    this.lakeSync = new LakeSyncBench(mode, nodes, ceiling, api, workload, http, wsClients, measuring, executor,
        scheduler, lake);
    this.memory = new MemoryBench(mode, nodes, ceiling, api, workload, http, wsClients, measuring);
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
    scenario("memory", memory::idle, memory::idleOnCeiling);
    // the LakeSync pushes' warm-up, unless only reference-compared scenarios run (they warm up their own way or not at all)
    if (only.isEmpty() || only.stream().anyMatch(p -> !p.startsWith("stream") && !p.startsWith("livestore"))) {
      lakeSync.warmUpJit();
    }
    for (String transport : List.of("ws", "http")) {
      for (int[] shape : new int[][] {{1, 1}, {100, 1}, {1, 100}, {100, 100}}) {
        String id = "push-" + transport + "-b" + shape[0] + "-g" + shape[1];
        scenario(id, () -> lakeSync.push(nodes, id, transport, shape[0], shape[1]),
            () -> lakeSync.push(ceiling, id, transport, shape[0], shape[1]));
      }
    }
    // half of min(target 100 000 deltas/s, the maximum just measured), on both servers
    double max = measuredThroughput("push-ws-b100-g100", "node");
    double halfRate = 0.5 * Math.min(100_000, Double.isNaN(max) ? 100_000 : max);
    scenario("push-ws-b100-g100-half", () -> lakeSync.halfRate(nodes, halfRate), () -> lakeSync.halfRate(ceiling, halfRate));
    scenario("pull-ws-buffer", () -> lakeSync.pullBuffer(nodes, "ws"), () -> lakeSync.pullBuffer(ceiling, "ws"));
    scenario("pull-http-buffer", () -> lakeSync.pullBuffer(nodes, "http"), () -> lakeSync.pullBuffer(ceiling, "http"));
    scenario("flush", lake::flush, null);
    scenario("pull-http-lake", lakeSync::pullLake, () -> lakeSync.pullBuffer(ceiling, "http"));
    scenario(LakeBench.SHARED_FLUSH, lake::flushShared, null);
    scenario("broadcast-1000", () -> lakeSync.broadcast(nodes), () -> lakeSync.broadcast(ceiling));
    compared("stream-append", reference, referenceSkipped,
        target -> streams.appends(target, "stream-append", StreamBench.APPEND_STREAMS, CLIENTS, StreamBench.APPEND_BYTES));
    compared("stream-one-16c", reference, referenceSkipped,
        target -> streams.appends(target, "stream-one-16c", 1, StreamBench.ONE_CLIENTS, StreamBench.ONE_BYTES));
    compared("stream-read", reference, referenceSkipped, streams::read);
    compared("stream-sse", reference, referenceSkipped, streams::sse);
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
    scenario("memory-end", memory::atEnd, null);
    scenario("heap-rows", lake::heapRows, null);
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

  // ---------------------------------------------------------------- plumbing

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

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
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
        : Map.of("server", StreamBench.REFERENCE, "url", reference.bases().get(0), "pids", reference.pids()));
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
        List.of(new Report.Reference("stream-", "Durable Streams", StreamBench.REFERENCE),
            new Report.Reference("livestore-", "LiveStore", LiveStoreBench.REFERENCE))));
    System.out.println("results: " + out);
  }
}
