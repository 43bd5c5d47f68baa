package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.CodedInputStream;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.JsonCodec;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
  private final Measuring measuring;
  private final StreamBench streams;
  private final NodeApi api;
  private final LakeBench lake;
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
    scenario("flush", lake::flush, null);
    scenario("pull-http-lake", this::pullLake, () -> pullBuffer(ceiling, "http"));
    scenario(LakeBench.SHARED_FLUSH, lake::flushShared, null);
    scenario("broadcast-1000", () -> broadcast(nodes), () -> broadcast(ceiling));
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
    scenario("memory-end", this::memoryAtEnd, null);
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
          WsSlot slot = new WsSlot(wsClients.get(slots.size() % wsClients.size()), api.wsUri(base, gw, client.clientId), WsConnection.DISCARD);
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
    Concurrently.open(slots);
    Map<String, Object> result = measuring.measure(target, id, () -> Load.closedLoop(ops, warm, meas,
        measuring.hooks(target, id), executor, scheduler));
    result.put("unit", "deltas/s");
    result.put("transport", transport);
    result.put("batch", batch);
    result.put("gateways", gateways);
    result.put("clients", CLIENTS);
    if (transport.equals("ws")) {
      long frames = slots.stream().mapToLong(WsSlot::broadcastFrames).sum();
      long bytes = slots.stream().mapToLong(WsSlot::broadcastBytes).sum();
      result.put("broadcastFramesReceived", frames);
      result.put("broadcastMiBReceived", round(bytes / 1048576.0));
      result.put("reconnects", slots.stream().mapToInt(s -> s.connects.get() - 1).sum());
    }
    slots.forEach(WsSlot::abort);
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
      WsSlot slot = new WsSlot(wsClients.get(g % wsClients.size()), api.wsUri(target.base(g), "push-ws-b100-g100-half-" + g, client.clientId),
          WsConnection.DISCARD);
      slots.add(slot);
      ops.add(() -> slot.request(Frames.encodePush(client.push(batch))).thenApply(reply -> new Load.Done(batch, reply.nanos())));
    }
    Concurrently.open(slots);
    Map<String, Object> result = measuring.measure(target, "push-ws-b100-g100-half", () -> Load.openLoop(ops, deltasPerSecond / batch,
        warmup(target), measure(target), measuring.hooks(target, "push-ws-b100-g100-half"), executor, scheduler));
    result.put("unit", "deltas/s");
    result.put("offeredDeltasPerSecond", round(deltasPerSecond));
    result.put("transport", "ws");
    result.put("batch", batch);
    result.put("gateways", gateways);
    result.put("connections", gateways);
    result.put("loop", "open (latency from the intended send time)");
    slots.forEach(WsSlot::abort);
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
    WsSlot slot = new WsSlot(wsClients.get(0), api.wsUri(nodes.base(0), PULL_GATEWAY, client.clientId), WsConnection.DISCARD);
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
        WsSlot slot = new WsSlot(wsClients.get(i % wsClients.size()), api.wsUri(base, gateway, clientId), WsConnection.DISCARD);
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
    Concurrently.open(slots);
    Map<String, Object> result = measuring.measure(target, id, () -> Load.closedLoop(ops, warmup(target), measure(target),
        measuring.hooks(target, id), executor, scheduler));
    result.put("unit", "deltas/s");
    result.put("transport", transport);
    result.put("clients", PULL_CLIENTS);
    result.put("deltasPerPull", PULL_LIMIT);
    result.put("wrongPages", wrongPages.get());
    slots.forEach(WsSlot::abort);
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

  /** Pulls 1 000 deltas with an old cursor (0) from the gateway the flush scenario left all in the lake. */
  private Map<String, Object> pullLake() {
    String flushed = lake.flushedGateway();
    if (flushed == null) {
      throw new IllegalStateException("the flush scenario did not run");
    }
    Map<String, Object> result = pull(nodes, "pull-http-lake", "http", flushed, 0);
    result.put("gateway", flushed);
    return result;
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
      subs.add(new WsSlot(wsClients.get(i % wsClients.size()), api.wsUri(target.base(i), gw, "bench-s" + i), sink));
    }
    long t0 = System.nanoTime();
    Concurrently.open(subs);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    Workload.Client pusher = new Workload.Client("bench-pusher");
    WsSlot push = new WsSlot(wsClients.get(0), api.wsUri(target.base(0), gw, pusher.clientId), WsConnection.DISCARD);
    Concurrently.open(List.of(push));
    int sessions = -1;
    if (target.node()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      do {
        sessions = api.metrics(target.base(0), gw).get("sessions").asInt();
      } while (sessions < subscribers + 1 && System.nanoTime() < deadline && sleepMs(100));
    }
    Probe.Recording recording = measuring.startRecording(target, "broadcast");
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
    measuring.putCpu(result, target, cpu);
    Measuring.stopRecording(recording, result);
    push.abort();
    subs.forEach(WsSlot::abort);
    return result;
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
    result.put("before", Measuring.memoryOf(pid));
    Probe.Recording recording = measuring.startRecording(nodes, "memory");
    long t0 = System.nanoTime();
    AtomicLong errors = new AtomicLong();
    Concurrently.forEach(n, 32, i -> {
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
    Measuring.stopRecording(recording, result);
    result.put("gatewaysStartedPerSecond", round(n / startSeconds));
    result.put("gatewayErrors", errors.get());
    Map<String, Object> withGateways = Measuring.memoryOf(pid);
    result.put("withIdleGateways", withGateways);
    List<WsSlot> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String gw = "idle-" + idleTag + "-" + i;
      sessions.add(new WsSlot(wsClients.get(i % wsClients.size()), api.wsUri(nodes.base(i), gw, "bench-idle"), WsConnection.DISCARD));
    }
    t0 = System.nanoTime();
    int failed = Concurrently.open(sessions);
    result.put("sessionsOpenedPerSecond", round(n / ((System.nanoTime() - t0) / 1e9)));
    result.put("sessionErrors", failed);
    sleepMs(1000);
    result.put("withSessions", Measuring.memoryOf(pid));
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
    Map<String, Object> now = Measuring.memoryOf(nodes.pids().get(0));
    result.putAll(now);
    result.put("unit", "heap MiB");
    result.put("throughput", now.get("heapUsedMiB"));
    result.put("errors", 0);
    return result;
  }


  /** The ceiling's heap and RSS with the same number of idle WebSocket sessions (no entities behind them). */
  private Map<String, Object> memoryCeiling() {
    int n = mode.idleGateways();
    long pid = ceiling.pids().get(0);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unit", "heap MiB");
    result.put("before", Measuring.memoryOf(pid));
    List<WsSlot> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sessions.add(new WsSlot(wsClients.get(i % wsClients.size()), api.wsUri(ceiling.base(0), "idle-" + i, "bench-idle"),
          WsConnection.DISCARD));
    }
    int failed = Concurrently.open(sessions);
    sleepMs(1000);
    Map<String, Object> with = Measuring.memoryOf(pid);
    result.put("withSessions", with);
    result.put("sessionErrors", failed);
    result.put("throughput", with.get("heapUsedMiB"));
    result.put("errors", failed);
    sessions.forEach(WsSlot::abort);
    return result;
  }


  // ---------------------------------------------------------------- plumbing

  private Duration warmup(Target target) {
    return target.node() ? mode.warmup() : mode.ceilingWarmup();
  }

  private Duration measure(Target target) {
    return target.node() ? mode.measure() : mode.ceilingMeasure();
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
