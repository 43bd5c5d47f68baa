package io.lakeshard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.HdrHistogram.Histogram;

/**
 * The x-backend router scenario: the same closed-loop HTTP load (100 and 1 000 concurrent clients;
 * a small GET and a 4 KiB POST) against one fast upstream (the ceiling server) directly, through
 * the node's router and, when nginx is installed, through nginx as a reverse proxy, one after the
 * other in one run. Prints throughput, p50/p99 and what each proxy adds over direct.
 * {@code RouterBench --direct URL --router URL [--nginx URL | --nginx-skipped WHY] --out FILE [--quick]}
 */
public final class RouterBench {
  private static final int[] CONCURRENCY = {100, 1000};
  private static final byte[] BODY_4K = new byte[4096];

  private record Shape(String name, String method, String path, byte[] body) {}

  private static final List<Shape> SHAPES = List.of(
      new Shape("GET small", "GET", "/health", null),
      new Shape("POST 4 KiB", "POST", "/v1/sync/bench/push", BODY_4K));

  private record Cell(String target, String shape, int clients, double rps, double p50, double p99, long errors,
                      Map<String, Integer> errorKinds) {}

  private RouterBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--quick")) {
        options.put("quick", "true");
      } else {
        options.put(args[i].substring(2), args[++i]);
      }
    }
    Duration warmup = Duration.ofSeconds(options.containsKey("quick") ? 1 : 2);
    Duration measure = Duration.ofSeconds(options.containsKey("quick") ? 3 : 8);
    Map<String, String> targets = new LinkedHashMap<>();
    targets.put("direct", options.get("direct"));
    targets.put("router", options.get("router"));
    if (options.containsKey("nginx")) {
      targets.put("nginx", options.get("nginx"));
    }
    ExecutorService executor = Executors.newFixedThreadPool(2);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    List<Cell> cells = new ArrayList<>();
    try {
      for (int clients : CONCURRENCY) {
        for (Shape shape : SHAPES) {
          for (Map.Entry<String, String> target : targets.entrySet()) {
            cells.add(run(target.getKey(), target.getValue(), shape, clients, warmup, measure, executor, scheduler));
          }
        }
      }
    } finally {
      executor.shutdownNow();
      scheduler.shutdownNow();
    }
    print(cells, options.get("nginx-skipped"));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("scenario", "router");
    json.put("warmupSeconds", warmup.toSeconds());
    json.put("measureSeconds", measure.toSeconds());
    json.put("nginx", options.getOrDefault("nginx-skipped", "measured"));
    json.put("cells", cells);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(options.get("out")), json);
  }

  /** One closed-loop window; a fresh client per cell, so no cell inherits another's connections. */
  private static Cell run(String target, String base, Shape shape, int clients, Duration warmup, Duration measure,
                          ExecutorService executor, ScheduledExecutorService scheduler) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).executor(executor).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + shape.path()))
        .timeout(Duration.ofSeconds(30))
        .header("x-backend", "ceiling")
        .header("Content-Type", "application/octet-stream")
        .method(shape.method(), shape.body() == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(shape.body()))
        .build();
    List<Load.Op> ops = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      ops.add(() -> client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenCompose(response ->
          response.statusCode() == 200 ? CompletableFuture.completedFuture(Load.Done.now(1))
              : CompletableFuture.failedFuture(new IOException("status " + response.statusCode()))));
    }
    System.err.printf("router bench: %s, %s, %d clients...%n", target, shape.name(), clients);
    Load.Window window = Load.closedLoop(ops, warmup, measure, Load.WindowHooks.NONE, executor, scheduler);
    Histogram latency = window.latency();
    return new Cell(target, shape.name(), clients, window.opsPerSecond(), latency.getValueAtPercentile(50) / 1e6,
        latency.getValueAtPercentile(99) / 1e6, window.errors(), window.errorKinds());
  }

  private static void print(List<Cell> cells, String nginxSkipped) {
    System.out.println();
    System.out.println("x-backend router: closed loop against the ceiling server, direct / router / nginx");
    System.out.printf("%-7s %-11s %7s %10s %9s %9s %12s %12s %7s%n",
        "target", "shape", "clients", "req/s", "p50 ms", "p99 ms", "+p50 ms", "+p99 ms", "errors");
    for (Cell cell : cells) {
      Cell direct = cells.stream().filter(other -> other.target().equals("direct") && other.shape().equals(cell.shape())
          && other.clients() == cell.clients()).findFirst().orElseThrow();
      boolean proxy = !cell.target().equals("direct");
      System.out.printf("%-7s %-11s %7d %10.0f %9.2f %9.2f %12s %12s %7d%n", cell.target(), cell.shape(), cell.clients(),
          cell.rps(), cell.p50(), cell.p99(),
          proxy ? String.format("%+.2f", cell.p50() - direct.p50()) : "",
          proxy ? String.format("%+.2f", cell.p99() - direct.p99()) : "", cell.errors());
    }
    if (nginxSkipped != null) {
      System.out.println("nginx: not measured (" + nginxSkipped + ")");
    }
  }
}
