package io.lakeshard.bench;

import io.lakeshard.bench.LoadGenerator.Mode;
import io.lakeshard.bench.LoadGenerator.Target;
import io.lakeshard.protocol.JsonCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the node holds in memory (heap after a full GC, and RSS): idle gateways and WebSocket
 * sessions on a fresh node, the same sessions on the ceiling, and everything at the end of a run.
 */
final class MemoryBench {
  /** Deltas each idle gateway buffers. */
  static final int IDLE_DELTAS = 10;

  private final Mode mode;
  private final Target nodes;
  private final Target ceiling;
  private final NodeApi api;
  private final Workload workload;
  private final HttpClient http;
  private final List<HttpClient> wsClients;
  private final Measuring measuring;
  private String idleTag;

  MemoryBench(Mode mode, Target nodes, Target ceiling, NodeApi api, Workload workload, HttpClient http,
              List<HttpClient> wsClients, Measuring measuring) {
    this.mode = mode;
    this.nodes = nodes;
    this.ceiling = ceiling;
    this.api = api;
    this.workload = workload;
    this.http = http;
    this.wsClients = wsClients;
    this.measuring = measuring;
  }

  /**
   * Heap (after a full GC, jcmd GC.run + GC.heap_info) and RSS of the node: before, after
   * starting N idle gateways holding 10 buffered deltas each (an HTTP push to each), and with N
   * WebSocket sessions open on top (one per gateway).
   */
  Map<String, Object> idle() {
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
      return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> NodeApi.ok(response, 1))
          .handle((done, error) -> {
            if (error != null) {
              errors.incrementAndGet();
            }
            return null;
          });
    });
    double startSeconds = (System.nanoTime() - t0) / 1e9;
    Measuring.stopRecording(recording, result);
    result.put("gatewaysStartedPerSecond", LoadGenerator.round(n / startSeconds));
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
    result.put("sessionsOpenedPerSecond", LoadGenerator.round(n / ((System.nanoTime() - t0) / 1e9)));
    result.put("sessionErrors", failed);
    Load.sleep(Duration.ofSeconds(1));
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
  Map<String, Object> atEnd() {
    Map<String, Object> result = new LinkedHashMap<>();
    Map<String, Object> now = Measuring.memoryOf(nodes.pids().get(0));
    result.putAll(now);
    result.put("unit", "heap MiB");
    result.put("throughput", now.get("heapUsedMiB"));
    result.put("errors", 0);
    return result;
  }

  /** The ceiling's heap and RSS with the same number of idle WebSocket sessions (no entities behind them). */
  Map<String, Object> idleOnCeiling() {
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
    Load.sleep(Duration.ofSeconds(1));
    Map<String, Object> with = Measuring.memoryOf(pid);
    result.put("withSessions", with);
    result.put("sessionErrors", failed);
    result.put("throughput", with.get("heapUsedMiB"));
    result.put("errors", failed);
    sessions.forEach(WsSlot::abort);
    return result;
  }
}
