package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The x-backend router scenario, driven by wrk (2 threads): the same HTTP load against one fast
 * upstream directly, through the node's router and, when given, through nginx as a reverse proxy,
 * in one run, once the router's JIT has warmed up (15 s of each shape). Closed loop: 100 and
 * 1 000 connections, a small GET and a 4 KiB POST. Open loop: the small GET paced at half the
 * router's own closed-loop throughput (100 connections), where the latency the router adds is judged. A JVM load generator would itself saturate before the
 * proxies do on this machine; wrk does not. Prints the table with the targets met or
 * missed and writes it as JSON. With {@code --pids}, each cell also gives the CPU time the target's serving
 * process (and its children: nginx's worker) spent per request, which on a shared 2-core machine is a
 * steadier figure than req/s: it tells where the cores go, whatever else is running.
 * {@code RouterBench --direct URL --router URL [--nginx URL | --nginx-skipped WHY] --backend ID --out FILE
 * [--pids direct=PID,router=PID,nginx=PID] [--quick]}
 */
public final class RouterBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int[] CONNECTIONS = {100, 1000};
  private static final int OPEN_LOOP_CONNECTIONS = 100;
  private static final int THREADS = 2;
  /** An open-loop cell that sent fewer than this share of its scheduled requests did not hold its rate. */
  private static final double RATE_HELD = 0.97;
  private static final String RESULT_LINE = "WRK-RESULT ";

  private record Shape(String name, String method, String path, int bodyBytes) {}

  private static final Shape GET = new Shape("GET small", "GET", "/v1/sync/bench/pull?limit=1", 0);
  private static final Shape POST = new Shape("POST 4 KiB", "POST", "/v1/sync/bench/push", 4096);

  /**
   * One wrk run's figures; {@code rate} is the open loop's scheduled rate (0: closed loop);
   * {@code cpuUsPerRequest} the serving process's CPU time per request, null without its pid.
   */
  record Cell(String target, String shape, int connections, double rate, double rps, double p50, double p99,
              long socketErrors, long httpErrors, Double cpuUsPerRequest) {
    long errors() {
      return socketErrors + httpErrors;
    }
  }

  /** A process and its descendants, whose CPU time is read before and after a measured run. */
  private record Serving(long pid) {
    Duration cpu() {
      return ProcessHandle.of(pid).stream().flatMap(process -> Stream.concat(Stream.of(process), process.descendants()))
          .map(process -> process.info().totalCpuDuration().orElse(Duration.ZERO))
          .reduce(Duration.ZERO, Duration::plus);
    }
  }

  private final String backend;
  private final Map<String, Serving> serving;
  private final Path scripts;
  private final int jitWarmupSeconds;
  private final int warmupSeconds;
  private final int measureSeconds;

  private RouterBench(String backend, Map<String, Serving> serving, Path scripts, boolean quick) {
    this.backend = backend;
    this.serving = serving;
    this.scripts = scripts;
    this.jitWarmupSeconds = quick ? 3 : 6;
    this.warmupSeconds = 1;
    this.measureSeconds = quick ? 2 : 4;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--quick")) {
        options.put("quick", "true");
      } else {
        options.put(args[i].substring(2), args[++i]);
      }
    }
    boolean quick = options.containsKey("quick");
    Map<String, String> targets = new LinkedHashMap<>();
    targets.put("direct", options.get("direct"));
    targets.put("router", options.get("router"));
    Optional.ofNullable(options.get("nginx")).ifPresent(url -> targets.put("nginx", url));
    Path scripts = Files.createTempDirectory("router-bench-wrk");
    Map<String, Serving> serving = new LinkedHashMap<>();
    for (String entry : options.getOrDefault("pids", "").split(",")) {
      String[] targetAndPid = entry.split("=");
      if (targetAndPid.length == 2 && !targetAndPid[1].isBlank()) {
        serving.put(targetAndPid[0], new Serving(Long.parseLong(targetAndPid[1])));
      }
    }
    RouterBench bench = new RouterBench(options.getOrDefault("backend", "upstream"), serving, scripts, quick);
    List<Cell> closed = new ArrayList<>();
    List<Cell> open = new ArrayList<>();
    try {
      // The router's JIT first: a cold JVM would otherwise be measured in the first cells.
      for (Shape shape : List.of(GET, POST)) {
        System.err.printf("router bench: warming the router up, %s, %d s...%n", shape.name(), bench.jitWarmupSeconds);
        wrk(targets.get("router") + shape.path(), bench.script(shape, 0), OPEN_LOOP_CONNECTIONS, bench.jitWarmupSeconds);
      }
      for (int connections : CONNECTIONS) {
        for (Shape shape : List.of(GET, POST)) {
          for (Map.Entry<String, String> target : targets.entrySet()) {
            closed.add(bench.closedLoop(target.getKey(), target.getValue(), shape, connections));
          }
        }
      }
      double saturation = find(closed, "router", GET.name(), OPEN_LOOP_CONNECTIONS).rps();
      double rate = Math.floor(saturation / 2);
      for (Map.Entry<String, String> target : targets.entrySet()) {
        open.add(bench.openLoop(target.getKey(), target.getValue(), GET, OPEN_LOOP_CONNECTIONS, rate));
      }
    } finally {
      try (var files = Files.list(scripts)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(scripts);
    }
    List<String> verdicts = verdicts(closed, open, targets.containsKey("nginx"));
    print(closed, open, verdicts, options.get("nginx-skipped"));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("scenario", "router");
    json.put("load", "wrk, " + THREADS + " threads");
    json.put("routerWarmupSeconds", 2 * bench.jitWarmupSeconds);
    json.put("warmupSeconds", bench.warmupSeconds);
    json.put("measureSeconds", bench.measureSeconds);
    json.put("nginx", options.getOrDefault("nginx-skipped", "measured"));
    json.put("closedLoop", closed);
    json.put("openLoop", open);
    json.put("targets", verdicts);
    JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(options.get("out")), json);
  }

  /** A warm-up run, then the measured one, as many connections as requests in flight. */
  private Cell closedLoop(String target, String base, Shape shape, int connections) throws IOException, InterruptedException {
    System.err.printf("router bench: %s, %s, %d connections...%n", target, shape.name(), connections);
    Path script = script(shape, 0);
    wrk(base + shape.path(), script, connections, warmupSeconds);
    return measured(target, base, shape, script, connections, 0);
  }

  /** {@code rate} requests a second in all, sent on schedule whether or not earlier ones were answered. */
  private Cell openLoop(String target, String base, Shape shape, int connections, double rate)
      throws IOException, InterruptedException {
    System.err.printf("router bench: %s, %s, open loop at %.0f req/s...%n", target, shape.name(), rate);
    return measured(target, base, shape, script(shape, rate / THREADS), connections, rate);
  }

  /** The measured wrk run, with the CPU time its target's serving process spent in it. */
  private Cell measured(String target, String base, Shape shape, Path script, int connections, double rate)
      throws IOException, InterruptedException {
    Optional<Serving> process = Optional.ofNullable(serving.get(target));
    Duration before = process.map(Serving::cpu).orElse(Duration.ZERO);
    JsonNode result = wrk(base + shape.path(), script, connections, measureSeconds);
    Optional<Duration> used = process.map(Serving::cpu).map(after -> after.minus(before));
    return cell(target, shape, connections, rate, result, used);
  }

  private static Cell cell(String target, Shape shape, int connections, double rate, JsonNode result,
                           Optional<Duration> cpu) {
    double seconds = result.get("duration_us").asDouble() / 1e6;
    long requests = Math.max(1, result.get("requests").asLong());
    long socketErrors = result.get("connect").asLong() + result.get("read").asLong() + result.get("write").asLong()
        + result.get("timeout").asLong();
    return new Cell(target, shape.name(), connections, rate, result.get("requests").asLong() / seconds,
        result.get("p50_us").asDouble() / 1e3, result.get("p99_us").asDouble() / 1e3, socketErrors,
        result.get("status").asLong(), cpu.map(used -> used.toNanos() / 1e3 / requests).orElse(null));
  }

  /**
   * The wrk script of a shape: its method, body and headers, an optional pace of {@code perThreadRate}
   * requests a second per thread (each thread's Lua state keeps its own schedule; a request late on it
   * is sent at once, so the pace is caught up rather than lost), and {@code done} printing the figures
   * as one JSON line (latencies in µs; wrk counts answers of 400 and above as {@code status} errors).
   */
  private Path script(Shape shape, double perThreadRate) throws IOException {
    StringBuilder lua = new StringBuilder();
    lua.append("wrk.method = \"").append(shape.method()).append("\"\n");
    lua.append("wrk.headers[\"x-backend\"] = \"").append(backend).append("\"\n");
    if (shape.bodyBytes() > 0) {
      lua.append("wrk.body = string.rep(\"x\", ").append(shape.bodyBytes()).append(")\n");
      lua.append("wrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n");
    }
    if (perThreadRate > 0) {
      lua.append("""
          local ffi = require("ffi")
          ffi.cdef[[
          typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
          int clock_gettime(int clock, bench_timespec *now);
          ]]
          local clock = ffi.new("bench_timespec")
          local function now_ms()
            ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
            return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
          end
          local interval = 1000 / %s
          local next_send = nil
          function delay()
            local now = now_ms()
            local at = next_send or now
            next_send = at + interval
            if at <= now then return 0 end
            return math.floor(at - now + 0.5) -- wrk waits whole milliseconds
          end
          """.formatted(String.format(Locale.ROOT, "%.3f", perThreadRate)));
    }
    lua.append("""
        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format('%s{"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,'
            .. '"status":%%d,"timeout":%%d,"p50_us":%%d,"p99_us":%%d}\\n', summary.requests, summary.duration,
            e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
        end
        """.formatted(RESULT_LINE));
    Path file = Files.createTempFile(scripts, "shape", ".lua");
    Files.writeString(file, lua);
    return file;
  }

  private static JsonNode wrk(String url, Path script, int connections, int seconds) throws IOException, InterruptedException {
    Process wrk = new ProcessBuilder("wrk", "-t" + THREADS, "-c" + connections, "-d" + seconds + "s", "--timeout", "10s",
        "-s", script.toString(), url).redirectErrorStream(true).start();
    String output = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!wrk.waitFor(seconds + 30L, TimeUnit.SECONDS) || wrk.exitValue() != 0) {
      wrk.destroyForcibly();
      throw new IOException("wrk failed on " + url + ":\n" + output);
    }
    return output.lines().filter(line -> line.startsWith(RESULT_LINE)).findFirst()
        .map(line -> {
          try {
            return JSON.readTree(line.substring(RESULT_LINE.length()));
          } catch (IOException e) {
            throw new IllegalStateException("unreadable wrk result: " + line, e);
          }
        })
        .orElseThrow(() -> new IOException("wrk printed no result for " + url + ":\n" + output));
  }

  private static Cell find(List<Cell> cells, String target, String shape, int connections) {
    return cells.stream().filter(cell -> cell.target().equals(target) && cell.shape().equals(shape)
        && cell.connections() == connections).findFirst().orElseThrow();
  }

  /** The targets, each "met" or "missed" with the figures it was judged on. */
  private static List<String> verdicts(List<Cell> closed, List<Cell> open, boolean nginx) {
    List<String> verdicts = new ArrayList<>();
    long errors = closed.stream().filter(cell -> cell.target().equals("router") && cell.connections() == 1000)
        .mapToLong(Cell::errors).sum();
    verdicts.add(verdict(errors == 0, "router at 1 000 connections: 0 errors (" + errors + ")"));
    if (nginx) {
      for (Cell cell : closed) {
        if (cell.target().equals("router")) {
          double ratio = cell.rps() / find(closed, "nginx", cell.shape(), cell.connections()).rps();
          verdicts.add(verdict(ratio >= 0.5, String.format(Locale.ROOT,
              "router throughput >= 0.5x nginx's, %s at %d connections (%.2fx)", cell.shape(), cell.connections(), ratio)));
        }
      }
    }
    Cell router = find(open, "router", GET.name(), OPEN_LOOP_CONNECTIONS);
    Cell direct = find(open, "direct", GET.name(), OPEN_LOOP_CONNECTIONS);
    double added = router.p99() - direct.p99();
    boolean held = router.rps() >= RATE_HELD * router.rate() && direct.rps() >= RATE_HELD * direct.rate();
    verdicts.add(verdict(added < 2 && held, String.format(Locale.ROOT,
        "router adds p99 < 2 ms over direct at half its saturation, %.0f req/s (%+.2f ms%s)", router.rate(), added,
        held ? "" : "; the rate was not held")));
    return verdicts;
  }

  private static String verdict(boolean met, String what) {
    return (met ? "met:    " : "MISSED: ") + what;
  }

  private static void print(List<Cell> closed, List<Cell> open, List<String> verdicts, String nginxSkipped) {
    System.out.println();
    System.out.println("x-backend router: wrk (" + THREADS + " threads) against one upstream, direct / router / nginx");
    System.out.printf("%-7s %-11s %6s %9s %10s %8s %8s %8s %8s %7s %6s %10s%n", "target", "shape", "conns", "rate",
        "req/s", "p50 ms", "p99 ms", "+p50 ms", "+p99 ms", "socket", "http", "cpu us/req");
    List<Cell> all = new ArrayList<>(closed);
    all.addAll(open);
    for (Cell cell : all) {
      Cell direct = (cell.rate() > 0 ? open : closed).stream().filter(other -> other.target().equals("direct")
          && other.shape().equals(cell.shape()) && other.connections() == cell.connections()).findFirst().orElseThrow();
      boolean proxy = !cell.target().equals("direct");
      System.out.printf(Locale.ROOT, "%-7s %-11s %6d %9s %10.0f %8.2f %8.2f %8s %8s %7d %6d %10s%n", cell.target(),
          cell.shape(), cell.connections(), cell.rate() > 0 ? String.format(Locale.ROOT, "%.0f", cell.rate()) : "closed",
          cell.rps(), cell.p50(), cell.p99(),
          proxy ? String.format(Locale.ROOT, "%+.2f", cell.p50() - direct.p50()) : "",
          proxy ? String.format(Locale.ROOT, "%+.2f", cell.p99() - direct.p99()) : "", cell.socketErrors(), cell.httpErrors(),
          cell.cpuUsPerRequest() == null ? "" : String.format(Locale.ROOT, "%.1f", cell.cpuUsPerRequest()));
    }
    if (nginxSkipped != null) {
      System.out.println("nginx: not measured (" + nginxSkipped + ")");
    }
    System.out.println("socket: wrk's connect, read, write errors and time-outs; http: answers of 400 and above;"
        + " cpu: the serving process's CPU time per request (direct: the upstream; nginx: master and worker)");
    verdicts.forEach(System.out::println);
  }
}
