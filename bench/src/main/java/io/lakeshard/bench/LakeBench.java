package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.SyncPush;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.HdrHistogram.Histogram;

/**
 * The lake scenarios on the node (no ceiling: it has no lake): one gateway's 3.9 MiB flush,
 * 100 gateways flushing into one Iceberg table at once (exactly once checked by pulling back),
 * and one gateway's heap after many distinct rows pushed and flushed.
 */
final class LakeBench {
  private final LoadGenerator.Mode mode;
  private final LoadGenerator.Target nodes;
  private final NodeApi api;
  private final Workload workload;
  private final HttpClient http;
  private final List<HttpClient> wsClients;
  private final Measuring measuring;
  private final DoubleSupplier settle;
  private final ObjectMapper json = new ObjectMapper();

  /** {@code settle}: waits until the servers are idle, returning the seconds waited. */
  LakeBench(LoadGenerator.Mode mode, LoadGenerator.Target nodes, NodeApi api, Workload workload, HttpClient http,
            List<HttpClient> wsClients, Measuring measuring, DoubleSupplier settle) {
    this.mode = mode;
    this.nodes = nodes;
    this.api = api;
    this.workload = workload;
    this.http = http;
    this.wsClients = wsClients;
    this.measuring = measuring;
    this.settle = settle;
  }

  /** The gateway the flush scenario left with all its deltas in the lake, or null before it ran. */
  String flushedGateway() {
    return flushedGateway;
  }

  // ---------------------------------------------------------------- one gateway's flush

  private static final double FLUSH_FILL_BYTES = 3.9 * 1024 * 1024;
  private String flushedGateway;

  /**
   * Fills a fresh gateway's buffer to about 3.9 MiB (just under the 4 MiB flush threshold, so
   * nothing flushes by itself; the bench runs the node with a 1 h buffer age), then times the
   * admin flush: Parquet written, committed to the Iceberg catalogue, journaled. Several rounds,
   * each once the node is idle again.
   */
  Map<String, Object> flush() {
    List<Map<String, Object>> rounds = new ArrayList<>();
    List<String> gateways = new ArrayList<>();
    String runTag = Long.toString(System.currentTimeMillis() % 100000);
    for (int round = 1; round <= mode.flushRounds(); round++) {
      String gw = "flush-" + runTag + "-" + round;
      gateways.add(gw);
      String base = nodes.base(round);
      api.admin(base, "POST", "/v1/admin/schema/" + gw, Workload.schemaJson(), gw);
      Workload.Client client = new Workload.Client("bench-f" + round);
      WsSlot slot = new WsSlot(wsClients.get(0), api.wsUri(base, gw, client.clientId), WsConnection.DISCARD);
      long bytes = 0;
      int batch = 1000;
      long deltas = 0;
      while (batch > 0) {
        slot.request(Frames.encodePush(client.push(batch))).join();
        deltas += batch;
        bytes = api.metrics(base, gw).get("byteSize").asLong();
        double perDelta = (double) bytes / deltas;
        batch = (int) Math.min(1000, Math.floor((FLUSH_FILL_BYTES - bytes) / perDelta));
      }
      slot.abort();
    }
    Probe.Recording recording = measuring.startRecording(nodes, "flush");
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
      JsonNode before = api.metrics(base, gw);
      settle.getAsDouble(); // the round before's checkpoint (it follows a flush of 10 000 rows) is not this flush's cost
      long t0 = System.nanoTime();
      JsonNode flushed = api.admin(base, "POST", "/v1/admin/flush/" + gw, null, gw);
      long elapsed = System.nanoTime() - t0;
      Map<String, Object> round = new LinkedHashMap<>();
      round.put("gateway", gw);
      round.put("ms", LoadGenerator.round(elapsed / 1e6));
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
      round.put("rowsPerSecond", LoadGenerator.round(flushed.get("rows").asLong() / (elapsed / 1e9)));
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
    result.put("throughput", LoadGenerator.round(rows / seconds));
    result.put("bufferMBPerSecond", LoadGenerator.round(bufferBytes / seconds / 1e6));
    result.put("parquetMBPerSecond", LoadGenerator.round(parquetBytes / seconds / 1e6));
    result.put("latencyMs", Measuring.latency(durations));
    result.put("errors", 0);
    result.put("rounds", rounds);
    measuring.putCpu(result, nodes, cpu);
    Measuring.stopRecording(recording, result);
    flushedGateway = gateways.get(0);
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
  Map<String, Object> flushShared() {
    int perGateway = mode.sharedFlushRows();
    String runTag = Long.toString(System.currentTimeMillis() % 100000);
    List<String> gateways = new ArrayList<>();
    List<List<String>> sent = new ArrayList<>();
    List<CompletableFuture<?>> filling = new ArrayList<>();
    List<WsSlot> slots = new ArrayList<>();
    for (int g = 0; g < SHARED_GATEWAYS; g++) {
      String gw = "shared-" + runTag + "-" + g;
      Workload.Client client = new Workload.Client("bench-sh" + g);
      WsSlot slot = new WsSlot(wsClients.get(g % wsClients.size()), api.wsUri(nodes.base(g), gw, client.clientId), WsConnection.DISCARD);
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
    slots.forEach(WsSlot::abort);

    Probe.Recording recording = measuring.startRecording(nodes, SHARED_FLUSH);
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
    Measuring.stopRecording(recording, result);

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
    result.put("throughput", LoadGenerator.round(rows.get() / seconds));
    result.put("commitsPerSecond", LoadGenerator.round((SHARED_GATEWAYS - failed.get()) / seconds));
    result.put("commitRetries", commitRetries.get());
    result.put("latencyMs", Measuring.latency(durations));
    result.put("errors", failed.get() + missing + duplicates + unexpected);
    result.put("gateways", SHARED_GATEWAYS);
    result.put("rowsPerGateway", perGateway);
    result.put("seconds", LoadGenerator.round(seconds));
    result.put("failedFlushes", failed.get());
    result.put("missingRows", missing);
    result.put("duplicateRows", duplicates);
    result.put("unexpectedRows", unexpected);
    result.put("exactlyOnce", failed.get() + missing + duplicates + unexpected == 0);
    measuring.putCpu(result, nodes, cpu);
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


  // ---------------------------------------------------------------- one gateway, many rows

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
  Map<String, Object> heapRows() {
    long rows = mode.heapRows();
    long pid = nodes.pids().get(0);
    String gw = "heap-rows-" + System.currentTimeMillis() % 100000;
    String base = nodes.base(0);
    api.admin(base, "POST", "/v1/admin/schema/" + gw, Workload.schemaJson(), gw);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unit", "heap MiB");
    result.put("rows", rows);
    result.put("before", Measuring.memoryOf(pid));
    Probe.Recording recording = measuring.startRecording(nodes, "heap-rows");
    Probe.CpuWindow cpu = new Probe.CpuWindow(nodes.pids());
    AtomicLong refused = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(HEAP_PUSHERS, Concurrently.daemon("heap-rows"));
    List<CompletableFuture<Void>> pushers = new ArrayList<>();
    cpu.start();
    long t0 = System.nanoTime();
    for (int p = 0; p < HEAP_PUSHERS; p++) {
      Workload.Client client = new Workload.Client("bench-h" + p, Long.MAX_VALUE);
      WsSlot slot = new WsSlot(wsClients.get(p % wsClients.size()), api.wsUri(base, gw, client.clientId), WsConnection.DISCARD);
      long share = rows / HEAP_PUSHERS + (p < rows % HEAP_PUSHERS ? 1 : 0);
      pushers.add(CompletableFuture.runAsync(() -> {
        for (long sent = 0; sent < share; sent += HEAP_BATCH) {
          byte[] frame = Frames.encodePush(client.push((int) Math.min(HEAP_BATCH, share - sent)));
          for (int inARow = 0; !accepted(slot, frame); inARow++) {
            if (inARow == HEAP_MAX_REFUSALS) {
              throw new IllegalStateException(HEAP_MAX_REFUSALS + " pushes refused in a row");
            }
            refused.incrementAndGet();
            Load.sleep(Duration.ofMillis(100));
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
    api.admin(base, "POST", "/v1/admin/flush/" + gw, null, gw);
    cpu.end();
    Measuring.stopRecording(recording, result);
    JsonNode gateway = api.metrics(base, gw);
    // the checkpoint a flush may have started holds every row of the gateway while it is written: measured after it
    result.put("settleSeconds", settle.getAsDouble());
    Map<String, Object> after = Measuring.memoryOf(pid);
    result.put("after", after);
    long grown = ((Number) after.get("heapUsedBytes")).longValue()
        - ((Number) ((Map<?, ?>) result.get("before")).get("heapUsedBytes")).longValue();
    result.put("throughput", LoadGenerator.round(grown / 1048576.0));
    result.put("rowsPushedPerSecond", LoadGenerator.round(rows / pushSeconds));
    result.put("refusedPushes", refused.get());
    result.put("flushes", gateway.get("lastFlushSeq").asLong());
    result.put("indexRows", gateway.get("indexSize").asLong());
    result.put("bufferedDeltas", gateway.get("logSize").asLong());
    result.put("errors", 0);
    measuring.putCpu(result, nodes, cpu);
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
}
