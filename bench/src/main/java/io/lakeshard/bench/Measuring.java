package io.lakeshard.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * How every scenario is measured: the servers' CPU over the measured window, the node's GC pauses
 * in it (from its GC log), a JFR recording of the node around it (with --jfr-dir), and the
 * shape of a result (throughput, latency percentiles in ms, errors).
 */
final class Measuring {
  private final Path jfrDir;
  private final Path gcLog;
  private final Map<String, Probe.CpuWindow> cpuWindows = new LinkedHashMap<>();

  /** {@code jfrDir} and {@code gcLog} may be null: no recordings, no GC pauses. */
  Measuring(Path jfrDir, Path gcLog) {
    this.jfrDir = jfrDir;
    this.gcLog = gcLog;
  }

  /** Hooks for a loop's measured window on {@code target}: its CPU goes into {@link #measure}'s result. */
  Load.WindowHooks hooks(LoadGenerator.Target target, String id) {
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
  Map<String, Object> measure(LoadGenerator.Target target, String id, Supplier<Load.Window> run) {
    Probe.Recording recording = startRecording(target, id);
    Load.Window window = run.get();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("throughput", LoadGenerator.round(window.itemsPerSecond()));
    result.put("opsPerSecond", LoadGenerator.round(window.opsPerSecond()));
    result.put("latencyMs", latency(window.latency()));
    result.put("errors", window.errors());
    if (!window.errorKinds().isEmpty()) {
      result.put("errorKinds", window.errorKinds());
    }
    result.put("seconds", LoadGenerator.round(window.seconds()));
    Probe.CpuWindow cpu = cpuWindows.get(target.name() + "/" + id);
    if (cpu != null) {
      putCpu(result, target, cpu);
    }
    stopRecording(recording, result);
    return result;
  }

  /** CPU of the window, and the node's GC pauses in it when its GC log is known. */
  void putCpu(Map<String, Object> result, LoadGenerator.Target target, Probe.CpuWindow cpu) {
    result.put("cpuCores", cpu.cores);
    result.put("serverThreadCores", cpu.threadCores);
    if (target.node() && gcLog != null) {
      result.put("gcPauses", GcLog.pauses(gcLog, cpu.startMillis, cpu.endMillis));
    }
  }

  /** A JFR recording of the node for scenario {@code id}, or null (not asked for, or not the node). */
  Probe.Recording startRecording(LoadGenerator.Target target, String id) {
    if (jfrDir == null || !target.node() || target.pids().isEmpty()) {
      return null;
    }
    Probe.Recording recording = new Probe.Recording(target.pids().get(0), "bench-" + id, jfrDir.resolve(id + ".jfr"),
        id.equals("flush") ? "1ms" : null);
    recording.start();
    return recording;
  }

  static void stopRecording(Probe.Recording recording, Map<String, Object> result) {
    if (recording == null) {
      return;
    }
    recording.stop();
    result.put("profile", Probe.profile(recording.file, 15));
    result.put("jfr", recording.file.toString());
  }

  static Map<String, Object> latency(Histogram h) {
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

  /** The heap after a full GC, heap committed and RSS of process {@code pid}, in bytes and MiB. */
  static Map<String, Object> memoryOf(long pid) {
    long[] heap = Probe.heapAfterGc(pid);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("heapUsedBytes", heap[0]);
    m.put("heapUsedMiB", LoadGenerator.round(heap[0] / 1048576.0));
    m.put("heapCommittedMiB", LoadGenerator.round(heap[1] / 1048576.0));
    m.put("rssMiB", LoadGenerator.round(Probe.rssBytes(pid) / 1048576.0));
    return m;
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }
}
