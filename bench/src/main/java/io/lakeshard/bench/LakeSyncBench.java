package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedInputStream;
import io.lakeshard.bench.LoadGenerator.Mode;
import io.lakeshard.bench.LoadGenerator.Target;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The LakeSync wire scenarios, run by {@link LoadGenerator} against the node and the ceiling with
 * the same clients: pushes (WebSocket and HTTP, batches of 1 and 100, one and 100 gateways, and
 * open loop at half rate), pulls of 1 000 deltas from a buffer and from the lake, and one push
 * broadcast to 1 000 WebSocket sessions.
 */
final class LakeSyncBench {
  static final int PULL_CLIENTS = 2;
  static final int PULL_LIMIT = 1_000;
  private static final String PULL_GATEWAY = "pull-buffer";

  private final Mode mode;
  private final Target nodes;
  private final Target ceiling;
  private final NodeApi api;
  private final Workload workload;
  private final HttpClient http;
  private final List<HttpClient> wsClients;
  private final Measuring measuring;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final LakeBench lake;
  private final ObjectMapper json = new ObjectMapper();
  private boolean pullGatewayFilled;

  /** {@code lake}: whose flush scenario leaves the gateway that the lake pull reads. */
  LakeSyncBench(Mode mode, Target nodes, Target ceiling, NodeApi api, Workload workload, HttpClient http,
                List<HttpClient> wsClients, Measuring measuring, ExecutorService executor,
                ScheduledExecutorService scheduler, LakeBench lake) {
    this.mode = mode;
    this.nodes = nodes;
    this.ceiling = ceiling;
    this.api = api;
    this.workload = workload;
    this.http = http;
    this.wsClients = wsClients;
    this.measuring = measuring;
    this.executor = executor;
    this.scheduler = scheduler;
    this.lake = lake;
  }

  /** Unmeasured load on both servers (and this client) first, so the JIT has compiled the hot paths. */
  void warmUpJit() {
    long t0 = System.nanoTime();
    Duration each = mode.jitWarmup().dividedBy(4);
    for (Target target : List.of(nodes, ceiling)) {
      push(target, "jit-warmup", "ws", 100, 100, each, Duration.ofMillis(100));
      if (mode.jitWarmup().toSeconds() >= 8) {
        push(target, "jit-warmup", "http", 1, 100, each, Duration.ofMillis(100));
      }
    }
    LoadGenerator.say(String.format("JIT warm-up: %.1f s", (System.nanoTime() - t0) / 1e9));
  }

  /**
   * 50 closed-loop clients, one push in flight each. With 100 gateways each client alternates
   * between its two gateways (client i pushes to gateways i and i + 50); with one, all 50 push to it.
   */
  Map<String, Object> push(Target target, String id, String transport, int batch, int gateways) {
    return push(target, id, transport, batch, gateways, warmup(target), measure(target));
  }

  private Map<String, Object> push(Target target, String id, String transport, int batch, int gateways,
                                   Duration warm, Duration meas) {
    // Gateways of this scenario only: one that inherited an earlier scenario's buffer would cross
    // the flush threshold early and measure another scenario's flushes.
    String prefix = id + "-";
    List<Load.Op> ops = new ArrayList<>();
    List<WsSlot> slots = new ArrayList<>();
    for (int i = 0; i < LoadGenerator.CLIENTS; i++) {
      Workload.Client client = new Workload.Client("bench-c" + i);
      List<String> gws = new ArrayList<>();
      if (gateways >= LoadGenerator.CLIENTS) {
        for (int g = i; g < gateways; g += LoadGenerator.CLIENTS) {
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
          return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> NodeApi.ok(response, batch));
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
    result.put("clients", LoadGenerator.CLIENTS);
    if (transport.equals("ws")) {
      long frames = slots.stream().mapToLong(WsSlot::broadcastFrames).sum();
      long bytes = slots.stream().mapToLong(WsSlot::broadcastBytes).sum();
      result.put("broadcastFramesReceived", frames);
      result.put("broadcastMiBReceived", LoadGenerator.round(bytes / 1048576.0));
      result.put("reconnects", slots.stream().mapToInt(s -> s.connects.get() - 1).sum());
    }
    slots.forEach(WsSlot::abort);
    return result;
  }

  // ---------------------------------------------------------------- push at half rate (latency)

  /**
   * The latency target: WebSocket pushes of 100 deltas to 100 gateways, open loop at
   * {@code deltasPerSecond}, one connection per gateway.
   */
  Map<String, Object> halfRate(Target target, double deltasPerSecond) {
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
    result.put("offeredDeltasPerSecond", LoadGenerator.round(deltasPerSecond));
    result.put("transport", "ws");
    result.put("batch", batch);
    result.put("gateways", gateways);
    result.put("connections", gateways);
    result.put("loop", "open (latency from the intended send time)");
    slots.forEach(WsSlot::abort);
    return result;
  }

  // ---------------------------------------------------------------- pull

  /** 2 closed-loop clients pulling 1 000 deltas from the start of a buffer of 2 000. */
  Map<String, Object> pullBuffer(Target target, String transport) {
    if (target.node()) {
      fillPullGateway();
    }
    return pull(target, "pull-" + transport + "-buffer", transport, PULL_GATEWAY, 0);
  }

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
              Load.Done done = NodeApi.ok(response, PULL_LIMIT);
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
  Map<String, Object> pullLake() {
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
  Map<String, Object> broadcast(Target target) {
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
      while ((sessions = api.metrics(target.base(0), gw).get("sessions").asInt()) < subscribers + 1
          && System.nanoTime() < deadline) {
        Load.sleep(Duration.ofMillis(100));
      }
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
    result.put("subscriberConnectSeconds", LoadGenerator.round(connectSeconds));
    measuring.putCpu(result, target, cpu);
    Measuring.stopRecording(recording, result);
    push.abort();
    subs.forEach(WsSlot::abort);
    return result;
  }

  private Duration warmup(Target target) {
    return target.node() ? mode.warmup() : mode.ceilingWarmup();
  }

  private Duration measure(Target target) {
    return target.node() ? mode.measure() : mode.ceilingMeasure();
  }
}
