package io.lakeshard.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/** What the benchmark reads about processes: CPU time, RSS and heap (jcmd), and JFR recordings. */
final class Probe {
  private static final double CLOCK_TICKS = 100.0; // USER_HZ on Linux
  private static final Pattern HEAP_USED = Pattern.compile(
      "^\\s*(PSYoungGen|ParOldGen|garbage-first heap|def new generation|tenured generation|Shenandoah)\\b.*?total (\\d+)K, used (\\d+)K",
      Pattern.MULTILINE);
  /** ZGC's line has its own shape: " ZHeap           used 84M, capacity 378M, max capacity 6028M". */
  private static final Pattern Z_HEAP_USED = Pattern.compile(
      "^\\s*ZHeap\\s+used (\\d+)([KMG]), capacity (\\d+)([KMG])", Pattern.MULTILINE);

  private Probe() {}

  /** CPU seconds a process has used so far (user + system), or NaN when it is gone. */
  static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // after the command: state(0) ... utime(11) stime(12)
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** This JVM's CPU seconds. */
  static double ownCpuSeconds() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime() / 1e9;
    }
    return Double.NaN;
  }

  /** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
  static double machineBusySeconds() {
    try {
      String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = cpu.trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length; i++) {
        if (i != 4 && i != 5) { // idle, iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy / CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Resident set size in bytes (VmRSS), or -1. */
  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Heap after a full GC: {used, committed} in bytes, parsed from jcmd GC.heap_info. */
  static long[] heapAfterGc(long pid) {
    String info;
    try {
      // one jcmd (one attach) for both commands
      Path commands = Files.createTempFile("bench-jcmd", ".txt");
      Files.writeString(commands, "GC.run\nGC.heap_info\n");
      info = jcmd(pid, "-f", commands.toString());
      Files.deleteIfExists(commands);
    } catch (IOException e) {
      jcmd(pid, "GC.run");
      info = jcmd(pid, "GC.heap_info");
    }
    long used = 0;
    long committed = 0;
    Matcher m = HEAP_USED.matcher(info);
    while (m.find()) {
      committed += Long.parseLong(m.group(2)) * 1024;
      used += Long.parseLong(m.group(3)) * 1024;
    }
    Matcher z = Z_HEAP_USED.matcher(info);
    while (z.find()) {
      used += bytes(z.group(1), z.group(2));
      committed += bytes(z.group(3), z.group(4));
    }
    return new long[] {used, committed};
  }

  private static long bytes(String number, String unit) {
    return Long.parseLong(number) << switch (unit) {
      case "G" -> 30;
      case "M" -> 20;
      default -> 10;
    };
  }

  static String jcmd(long pid, String... command) {
    List<String> args = new ArrayList<>();
    args.add("jcmd");
    args.add(Long.toString(pid));
    args.addAll(List.of(command));
    try {
      Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "jcmd failed: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** CPU seconds per thread of a process, by thread name (digits folded: "GC Thread#N"), from /proc/pid/task. */
  static Map<String, Double> threadCpuSeconds(long pid) {
    Map<String, Double> byName = new HashMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "N");
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          double cpu = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS;
          byName.merge(name, cpu, Double::sum);
        } catch (IOException | RuntimeException e) {
          // the thread ended
        }
      }
    } catch (IOException e) {
      return byName;
    }
    return byName;
  }

  /** CPU used by processes between two samples, in cores. */
  static final class CpuWindow {
    private final List<Long> pids;
    private Map<String, Double> threadsAtStart = Map.of();
    final Map<String, Double> threadCores = new LinkedHashMap<>();
    private double[] start;
    private double own;
    private double machine;
    private long nanos;
    long startMillis;
    long endMillis;
    final Map<String, Double> cores = new LinkedHashMap<>();

    CpuWindow(List<Long> pids) {
      this.pids = pids;
    }

    void start() {
      start = new double[pids.size()];
      for (int i = 0; i < pids.size(); i++) {
        start[i] = cpuSeconds(pids.get(i));
      }
      own = ownCpuSeconds();
      machine = machineBusySeconds();
      if (!pids.isEmpty()) {
        threadsAtStart = threadCpuSeconds(pids.get(0));
      }
      nanos = System.nanoTime();
      startMillis = System.currentTimeMillis();
    }

    void end() {
      endMillis = System.currentTimeMillis();
      double seconds = (System.nanoTime() - nanos) / 1e9;
      double servers = 0;
      for (int i = 0; i < pids.size(); i++) {
        double used = (cpuSeconds(pids.get(i)) - start[i]) / seconds;
        servers += used;
        cores.put(pids.size() == 1 ? "server" : "server" + (i + 1), round(used));
      }
      double client = (ownCpuSeconds() - own) / seconds;
      double all = (machineBusySeconds() - machine) / seconds;
      cores.put("client", round(client));
      cores.put("machine", round(all));
      // anything else on the machine (another build, tests): a noisy measurement if large
      cores.put("other", round(Math.max(0, all - servers - client)));
      if (!pids.isEmpty()) {
        Map<String, Double> now = threadCpuSeconds(pids.get(0));
        now.entrySet().stream()
            .map(e -> Map.entry(e.getKey(), (e.getValue() - threadsAtStart.getOrDefault(e.getKey(), 0.0)) / seconds))
            .filter(e -> e.getValue() >= 0.01)
            .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
            .limit(8)
            .forEach(e -> threadCores.put(e.getKey(), round(e.getValue())));
      }
    }

    private static double round(double v) {
      return Math.round(v * 100) / 100.0;
    }
  }

  /** A JFR recording of one process over a measurement window ({@code settings=profile}: 10 ms samples). */
  static final class Recording {
    private final long pid;
    private final String name;
    final Path file;

    private final String samplePeriod;

    /** {@code samplePeriod}: e.g. "1ms" for short phases (the profile settings sample every 10 ms). */
    Recording(long pid, String name, Path file, String samplePeriod) {
      this.pid = pid;
      this.name = name;
      this.file = file;
      this.samplePeriod = samplePeriod;
    }

    void start() {
      if (samplePeriod == null) {
        jcmd(pid, "JFR.start", "name=" + name, "settings=profile", "filename=" + file.toAbsolutePath());
      } else {
        jcmd(pid, "JFR.start", "name=" + name, "settings=profile", "jdk.ExecutionSample#period=" + samplePeriod,
            "filename=" + file.toAbsolutePath());
      }
    }

    void stop() {
      jcmd(pid, "JFR.stop", "name=" + name);
    }
  }

  /**
   * Where the recorded process spent its CPU: the hottest methods by self samples (top frame) and
   * by total samples (anywhere on the stack), from jdk.ExecutionSample; and by thread.
   */
  static Map<String, Object> profile(Path jfr, int top) {
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    Map<String, Integer> threads = new HashMap<>();
    Map<String, Integer> components = new HashMap<>();
    int samples = 0;
    int gcs = 0;
    double gcPauseMs = 0;
    double cpuSum = 0;
    int cpuEvents = 0;
    try (RecordingFile file = new RecordingFile(jfr)) {
      while (file.hasMoreEvents()) {
        RecordedEvent event = file.readEvent();
        String type = event.getEventType().getName();
        if (type.equals("jdk.GarbageCollection")) {
          gcs++;
          gcPauseMs += event.getDuration("sumOfPauses").toNanos() / 1e6;
          continue;
        }
        if (type.equals("jdk.CPULoad")) {
          cpuSum += event.getFloat("jvmUser") + event.getFloat("jvmSystem");
          cpuEvents++;
          continue;
        }
        if (!type.equals("jdk.ExecutionSample")) {
          continue;
        }
        RecordedStackTrace stack = event.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) {
          continue;
        }
        samples++;
        var thread = event.getThread("sampledThread");
        String threadName = thread == null ? "?" : thread.getJavaName();
        threads.merge(threadName == null ? "?" : threadName.replaceAll("-\\d+$", "-N").replaceAll("\\d+", "N"), 1, Integer::sum);
        List<RecordedFrame> frames = stack.getFrames();
        self.merge(frameName(frames.get(0)), 1, Integer::sum);
        components.merge(component(frames), 1, Integer::sum);
        Set<String> seen = new HashSet<>();
        for (RecordedFrame frame : frames) {
          String name = frameName(frame);
          if (seen.add(name)) {
            total.merge(name, 1, Integer::sum);
          }
        }
      }
    } catch (IOException e) {
      return Map.of("error", e.toString());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("samples", samples);
    out.put("byComponent", top(components, samples, 14));
    out.put("topSelf", top(self, samples, top));
    out.put("topTotal", top(total, samples, top));
    out.put("threads", top(threads, samples, 10));
    out.put("gcCount", gcs);
    out.put("gcPauseMs", Math.round(gcPauseMs));
    if (cpuEvents > 0) {
      out.put("jvmCpuOfMachine", Math.round(1000.0 * cpuSum / cpuEvents) / 1000.0);
    }
    return out;
  }

  /**
   * What a sample's CPU is spent for: the first frame from the top outside the JDK and Scala's
   * library (a HashMap lookup inside H2 is H2's), bucketed by library.
   */
  private static String component(List<RecordedFrame> frames) {
    for (RecordedFrame frame : frames) {
      String type = frame.getMethod().getType().getName();
      if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.") || type.startsWith("scala.")
          || type.startsWith("com.sun.")) {
        continue;
      }
      for (String[] bucket : BUCKETS) {
        if (type.startsWith(bucket[0])) {
          return bucket[1];
        }
      }
      String[] parts = type.split("\\.");
      return parts.length > 2 ? parts[0] + "." + parts[1] + "." + parts[2] : type;
    }
    return "JDK/Scala only: " + frameName(frames.get(0));
  }

  private static final String[][] BUCKETS = {
      {"org.h2", "H2 (journal database)"},
      {"slick", "Slick (journal access)"},
      {"com.zaxxer", "connection pool"},
      {"org.apache.pekko.persistence.jdbc", "pekko-persistence-jdbc"},
      {"org.apache.pekko.persistence", "pekko-persistence"},
      {"com.fasterxml.jackson", "Jackson (JSON/CBOR)"},
      {"org.apache.pekko.serialization", "pekko serialization"},
      {"org.apache.pekko.http.impl.engine.ws", "pekko-http WebSocket"},
      {"org.apache.pekko.http", "pekko-http"},
      {"org.apache.pekko.stream", "pekko-stream"},
      {"org.apache.pekko.cluster.sharding", "pekko cluster sharding"},
      {"org.apache.pekko.cluster", "pekko cluster"},
      {"org.apache.pekko.remote", "pekko remoting"},
      {"org.apache.pekko.actor", "pekko actors/dispatch"},
      {"org.apache.pekko.dispatch", "pekko actors/dispatch"},
      {"org.apache.pekko.io", "pekko io (TCP)"},
      {"org.apache.pekko", "pekko other"},
      {"io.lakeshard.protocol.v1", "protobuf messages"},
      {"io.lakeshard", "lakeshard"},
      {"com.google.protobuf", "protobuf"},
      {"com.nimbusds", "nimbus JWT"},
      {"org.apache.iceberg", "Iceberg"},
      {"org.apache.parquet", "Parquet"},
      {"org.apache.hadoop", "Hadoop"},
      {"org.apache.avro", "Avro"},
      {"org.xerial.snappy", "Snappy"},
      {"io.minio", "MinIO client"},
      {"okhttp3", "OkHttp"},
      {"ch.qos.logback", "logback"},
      {"org.slf4j", "slf4j"},
  };

  private static String frameName(RecordedFrame frame) {
    var method = frame.getMethod();
    return method.getType().getName() + "." + method.getName();
  }

  private static List<String> top(Map<String, Integer> counts, int samples, int n) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(n)
        .map(e -> String.format("%5.1f%% %s", 100.0 * e.getValue() / Math.max(1, samples), e.getKey()))
        .toList();
  }
}
