package io.lakeshard.bench;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.HdrHistogram.Histogram;

/**
 * The LiveStore scenarios: the same {@link LiveStoreClient}s against the node's {@code /livestore}
 * and against LiveStore's own worker (scripts/bench runs it), one scenario at a time on idle
 * servers, each with store ids of its own. Push latency is push sent to its Exit; a push refused
 * with ServerAheadError is retried inside the same operation, so under contention the latency is
 * the whole push, retries included.
 */
final class LiveStoreBench {
  /** What the LiveStore rows compare with; scripts/bench installs and starts it. */
  static final String REFERENCE = "LiveStore's worker (@livestore/sync-cf 0.4.0 makeDurableObject/makeWorker, empty hooks; "
      + "workerd of wrangler 4.86.0 via Miniflare, SQLite DO storage on disk)";

  /** One scenario: {@code stores} stores with {@code clients} clients each pushing batches of {@code batch}. */
  record Scenario(String id, String title, int stores, int clients, int batch, double target) {
    boolean catchUp() {
      return batch == 0;
    }
  }

  static final int CATCH_UP_EVENTS = 10_000;
  /** Unmeasured seconds on each scenario's own connections before its window, in both modes. */
  private static final Duration WARMUP = Duration.ofSeconds(1);

  static final List<Scenario> SCENARIOS = List.of(
      new Scenario("livestore-b1", "LiveStore b1, 1 store 1 cl", 1, 1, 1, 5),
      new Scenario("livestore-b100", "LiveStore b100, 1 store 1 cl", 1, 1, 100, 20),
      new Scenario("livestore-contend8", "LiveStore b1, 1 store 8 cl", 1, 8, 1, 20),
      new Scenario("livestore-stores10", "LiveStore b100, 10 stores", 10, 1, 100, 20),
      new Scenario("livestore-catchup", "LiveStore catch-up 10 000", 1, 1, 0, 20));

  private final boolean quick;
  private final HttpClient ws;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final Measuring meter;
  private final String authToken;
  private final String runTag = Long.toString(System.currentTimeMillis() % 100000);

  LiveStoreBench(boolean quick, HttpClient ws, ExecutorService executor, ScheduledExecutorService scheduler, Measuring meter,
                 String authToken) {
    this.quick = quick;
    this.ws = ws;
    this.executor = executor;
    this.scheduler = scheduler;
    this.meter = meter;
    this.authToken = authToken;
  }

  Map<String, Object> run(Scenario scenario, LoadGenerator.Target target) {
    return scenario.catchUp() ? catchUp(scenario, target) : push(scenario, target, WARMUP, measure());
  }

  /** Unmeasured pushes of 100 on each server first, so the JITs (HotSpot and V8) have compiled the hot paths. */
  void warmUp(LoadGenerator.Target target) {
    Scenario warm = new Scenario("livestore-warmup", "", 1, 1, 100, 0);
    push(warm, target, quick ? Duration.ofSeconds(1) : Duration.ofSeconds(3), Duration.ofMillis(100));
  }

  /**
   * Long enough for the worker, which answers ten stores' pushes of 100 about 3 s after they were
   * sent (one workerd thread, chunks split in quadratic time); LIVESTORE.md's figures took 15 s.
   */
  private Duration measure() {
    return quick ? Duration.ofSeconds(4) : Duration.ofSeconds(6);
  }

  private String store(Scenario scenario, LoadGenerator.Target target, int k) {
    return "bench-" + scenario.id().substring("livestore-".length()) + "-" + target.name() + "-" + runTag + "-" + k;
  }

  private List<LiveStoreClient> connect(Scenario scenario, LoadGenerator.Target target) {
    List<CompletableFuture<LiveStoreClient>> opening = new ArrayList<>();
    for (int s = 0; s < scenario.stores(); s++) {
      for (int c = 0; c < scenario.clients(); c++) {
        opening.add(LiveStoreClient.open(ws, scheduler, target.base(opening.size()), store(scenario, target, s),
            "bench-c" + c, authToken, true));
      }
    }
    return opening.stream().map(CompletableFuture::join).toList();
  }

  private Map<String, Object> push(Scenario scenario, LoadGenerator.Target target, Duration warm, Duration meas) {
    List<LiveStoreClient> clients = connect(scenario, target);
    try {
      List<Load.Op> ops = new ArrayList<>();
      for (LiveStoreClient client : clients) {
        ops.add(() -> client.push(scenario.batch()).thenApply(accepted -> new Load.Done(scenario.batch(), accepted.nanos())));
      }
      long[] retries = new long[2];
      Load.WindowHooks cpu = meter.hooks(target, scenario.id());
      Load.WindowHooks hooks = new Load.WindowHooks() {
        @Override
        public void started() {
          retries[0] = retries(clients);
          cpu.started();
        }

        @Override
        public void ended() {
          cpu.ended();
          retries[1] = retries(clients);
        }
      };
      Map<String, Object> result = meter.measure(target, scenario.id(),
          () -> Load.closedLoop(ops, warm, meas, hooks, executor, scheduler));
      long retried = retries[1] - retries[0];
      double accepted = Report.number(result.get("opsPerSecond")) * Report.number(result.get("seconds"));
      result.put("unit", "events/s");
      result.put("acceptedPushesPerSecond", result.remove("opsPerSecond"));
      result.put("serverAheadRetries", retried);
      result.put("retriesPerAcceptedPush", accepted == 0 ? 0 : LoadGenerator.round(retried / accepted));
      result.put("stores", scenario.stores());
      result.put("clientsPerStore", scenario.clients());
      result.put("batch", scenario.batch());
      return result;
    } finally {
      clients.forEach(LiveStoreClient::close);
    }
  }

  private static long retries(List<LiveStoreClient> clients) {
    return clients.stream().mapToLong(c -> c.retries.sum()).sum();
  }

  /**
   * Fills a store with 10 000 events (pushes of 100), then new clients (1 quick, 2 full) each pull
   * it from the start, not live, acknowledging every chunk: the latency is pull sent to last chunk.
   */
  private Map<String, Object> catchUp(Scenario scenario, LoadGenerator.Target target) {
    String storeId = store(scenario, target, 0);
    LiveStoreClient filler = LiveStoreClient.open(ws, scheduler, target.base(0), storeId, "bench-filler", authToken, true).join();
    long t0 = System.nanoTime();
    try {
      for (int pushed = 0; pushed < CATCH_UP_EVENTS; pushed += 100) {
        filler.push(100).join();
      }
    } finally {
      filler.close();
    }
    double fillSeconds = (System.nanoTime() - t0) / 1e9;
    int pulls = quick ? 1 : 2;
    long[] chunks = new long[1];
    Load.WindowHooks hooks = meter.hooks(target, scenario.id());
    Map<String, Object> result = meter.measure(target, scenario.id(), () -> {
      Histogram latency = new Histogram(3);
      long nanos = 0;
      long events = 0;
      hooks.started();
      for (int i = 0; i < pulls; i++) {
        LiveStoreClient reader = LiveStoreClient.open(ws, scheduler, target.base(i), storeId, "bench-reader" + i, authToken, false)
            .join();
        try {
          long start = System.nanoTime();
          LiveStoreClient.CatchUp read = reader.catchUp().join();
          if (read.events() != CATCH_UP_EVENTS) {
            throw new IllegalStateException("caught up with " + read.events() + " events, expected " + CATCH_UP_EVENTS);
          }
          latency.recordValue(read.lastChunkNanos() - start);
          nanos += read.lastChunkNanos() - start;
          events += read.events();
          chunks[0] = read.chunks();
        } finally {
          reader.close();
        }
      }
      hooks.ended();
      return new Load.Window(latency, pulls, events, 0, nanos / 1e9, Map.of());
    });
    result.put("unit", "events/s");
    result.put("catchUpSeconds", LoadGenerator.round(Report.number(Report.map(result.get("latencyMs")).get("p50")) / 1e3));
    result.remove("opsPerSecond");
    result.put("pulls", pulls);
    result.put("events", CATCH_UP_EVENTS);
    result.put("chunksPerPull", chunks[0]);
    result.put("fillSeconds", LoadGenerator.round(fillSeconds));
    return result;
  }

  // ---------------------------------------------------------------- targets

  /**
   * The targets: the node's throughput at least {@code target} times the worker's (accepted
   * pushes for contention; catch-up also under a second), and its p99 no worse.
   */
  static List<Map<String, Object>> targets(List<Map<String, Object>> results) {
    List<Map<String, Object>> targets = new ArrayList<>();
    for (Scenario scenario : SCENARIOS) {
      for (Map<String, Object> result : results) {
        if (!result.get("id").equals(scenario.id())) {
          continue;
        }
        Map<?, ?> ratios = Report.map(result.get("ratioToReference"));
        String field = scenario.clients() > 1 ? "accepted pushes" : "events/s";
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("target", scenario.title() + ": " + field + " >= "
            + (int) scenario.target() + "x the worker, p99 no worse" + (scenario.catchUp() ? ", under 1 s" : ""));
        target.put("scenario", scenario.id());
        if (ratios.get("throughput") instanceof Number ratio && ratios.get("p99") instanceof Number p99) {
          double seconds = Report.number(Report.map(result.get("node")).get("catchUpSeconds"));
          target.put("measured", Report.fmt(ratio) + "x, p99 " + Report.fmt(p99) + "x"
              + (scenario.catchUp() ? ", " + Report.fmt(seconds) + " s" : ""));
          target.put("met", ratio.doubleValue() >= scenario.target() && p99.doubleValue() <= 1
              && (!scenario.catchUp() || seconds < 1));
        } else {
          target.put("measured", "not measured (no worker or a side failed)");
          target.put("met", null);
        }
        targets.add(target);
      }
    }
    return targets;
  }
}
