package io.lakeshard.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The printed table and the targets, from the scenario results. */
final class Report {
  private Report() {}

  private static final Map<String, String> TITLES = new LinkedHashMap<>();

  static {
    TITLES.put("push-ws-b1-g1", "push WS   b1   1 gw");
    TITLES.put("push-ws-b100-g1", "push WS   b100 1 gw");
    TITLES.put("push-ws-b1-g100", "push WS   b1   100 gw");
    TITLES.put("push-ws-b100-g100", "push WS   b100 100 gw");
    TITLES.put("push-http-b1-g1", "push HTTP b1   1 gw");
    TITLES.put("push-http-b100-g1", "push HTTP b100 1 gw");
    TITLES.put("push-http-b1-g100", "push HTTP b1   100 gw");
    TITLES.put("push-http-b100-g100", "push HTTP b100 100 gw");
    TITLES.put("push-ws-b100-g100-half", "push WS   b100 100 gw @half");
    TITLES.put("pull-ws-buffer", "pull WS   1000 buffer");
    TITLES.put("pull-http-buffer", "pull HTTP 1000 buffer");
    TITLES.put("pull-http-lake", "pull HTTP 1000 lake");
    TITLES.put("broadcast-1000", "broadcast 1 -> 1000 WS");
    TITLES.put("flush", "flush 3.9 MiB -> Parquet");
    TITLES.put(LakeBench.SHARED_FLUSH, "flush 100 gw -> one table");
    TITLES.put("stream-append", "append 128 B, 50 c, 5 str");
    TITLES.put("stream-one-16c", "append 256 B, 16 c, 1 str");
    TITLES.put("stream-read", "catch-up read, 4 KiB msgs");
    TITLES.put("stream-sse", "SSE 1 append -> 1000 rdrs");
    LiveStoreBench.SCENARIOS.forEach(scenario -> TITLES.put(scenario.id(), scenario.title()));
  }

  /** A reference server and the id prefix of the scenarios that compare with it. */
  record Reference(String prefix, String name, String server) {}

  private static final String ROW = "%-28s %17s %8s %8s %8s %7s | %17s %8s %6s | %s%n";

  /**
   * The table: the ceiling-compared scenarios, then a section per reference server.
   */
  static String table(List<Map<String, Object>> results, List<Map<String, Object>> targets, String mode, String setup,
                      List<Reference> references) {
    StringBuilder out = new StringBuilder();
    String header = String.format("%-28s %17s %8s %8s %8s %7s | %17s %8s %6s | %s",
        "scenario", "node", "p50 ms", "p99 ms", "p99.9", "errors", "ceiling", "p99 ms", "ratio", "cpu cores srv/cli/other, node GC pauses");
    out.append("\nLakeshard benchmark, ").append(mode).append(" mode, ").append(setup).append(" (latencies in ms)\n");
    if (results.stream().anyMatch(result -> referenceOf((String) result.get("id"), references) == null)) {
      out.append("ratio = node / ceiling, the same client against a no-op Pekko HTTP server\n");
      out.append(header).append('\n').append("-".repeat(header.length())).append('\n');
    }
    for (Map<String, Object> result : results) {
      String id = (String) result.get("id");
      Map<?, ?> node = map(result.get("node"));
      Map<?, ?> ceiling = map(result.get("ceiling"));
      if (referenceOf(id, references) != null) {
        continue;
      }
      if (id.equals("memory")) {
        memoryRows(out, node, ceiling);
        continue;
      }
      if (id.equals("memory-end")) {
        out.append(String.format("%-28s %17s %8s %8s %8s %7s | %17s %8s %6s | %s%n", "memory at the end",
            "heap " + fmt(node.get("heapUsedMiB")) + " MiB", "", "", "", "", "-", "", "",
            "rss " + fmt(node.get("rssMiB")) + " MiB, heap committed " + fmt(node.get("heapCommittedMiB")) + " MiB"));
        continue;
      }
      if (id.equals("heap-rows")) {
        heapRowsRow(out, node);
        continue;
      }
      row(out, TITLES.getOrDefault(id, id), node, ceiling, id.equals(LakeBench.SHARED_FLUSH) ? sharedFlushNote(node) : "");
    }
    references.forEach(reference -> referenceSection(out, results, reference));
    if (!targets.isEmpty()) {
      out.append("\nTargets (one node, 2 cores):\n");
    }
    for (Map<String, Object> target : targets) {
      out.append(String.format("  %-4s %-62s measured %s%n",
          Boolean.TRUE.equals(target.get("met")) ? "MET" : target.get("met") == null ? "n/a" : "MISS",
          target.get("target"), target.get("measured")));
    }
    return out.toString();
  }

  private static Reference referenceOf(String id, List<Reference> references) {
    return references.stream().filter(r -> id.startsWith(r.prefix())).findFirst().orElse(null);
  }

  /** The rows of one reference server's scenarios, with node / reference ratios. */
  private static void referenceSection(StringBuilder out, List<Map<String, Object>> results, Reference reference) {
    List<Map<String, Object>> rows = results.stream().filter(r -> ((String) r.get("id")).startsWith(reference.prefix())).toList();
    if (rows.isEmpty()) {
      return;
    }
    String name = reference.name();
    String section = String.format("%-28s %17s %8s %8s %8s %7s | %17s %8s %6s | %s",
        name, "node", "p50 ms", "p99 ms", "p99.9", "errors", "reference", "p99 ms", "ratio",
        "p50/p99 ratio; cpu cores srv/cli/other");
    out.append('\n').append(name).append(": ratio = node / reference, the same client against ").append(reference.server())
        .append("; throughput ratio > 1 and latency ratio < 1: the node is better\n");
    out.append(section).append('\n').append("-".repeat(section.length())).append('\n');
    for (Map<String, Object> result : rows) {
      String id = (String) result.get("id");
      Map<?, ?> node = map(result.get("node"));
      Map<?, ?> ref = map(result.get("reference"));
      if (ref.containsKey("skipped")) {
        row(out, TITLES.getOrDefault(id, id), node, Map.of());
      } else {
        Map<?, ?> ratios = map(result.get("ratioToReference"));
        String latencyRatios = ratios.containsKey("p50") ? fmt(ratios.get("p50")) + "/" + fmt(ratios.get("p99")) + "; " : "";
        row(out, TITLES.getOrDefault(id, id), node, ref, latencyRatios + liveStoreNote(node, ref));
      }
    }
    rows.stream().map(r -> map(r.get("reference")).get("skipped")).filter(why -> why != null).findFirst()
        .ifPresent(why -> out.append("  reference skipped: ").append(why).append('\n'));
  }

  /** Commits/s, the commit conflicts Iceberg retried, and whether every row landed once. */
  private static String sharedFlushNote(Map<?, ?> node) {
    return fmt(node.get("commitsPerSecond")) + " commits/s, " + node.get("commitRetries") + " retried, "
        + (Boolean.TRUE.equals(node.get("exactlyOnce")) ? "each row once" : "NOT exactly once") + "; ";
  }

  /** ServerAhead retries per accepted push and catch-up times, node / reference, where measured. */
  private static String liveStoreNote(Map<?, ?> node, Map<?, ?> ref) {
    if (number(node.get("retriesPerAcceptedPush")) > 0 || number(ref.get("retriesPerAcceptedPush")) > 0) {
      return "retries/push " + fmt(node.get("retriesPerAcceptedPush")) + "/" + fmt(ref.get("retriesPerAcceptedPush")) + "; ";
    }
    if (node.containsKey("catchUpSeconds")) {
      return "catch-up " + fmt(node.get("catchUpSeconds")) + " s/" + fmt(ref.get("catchUpSeconds")) + " s; ";
    }
    return "";
  }

  private static void row(StringBuilder out, String title, Map<?, ?> node, Map<?, ?> other) {
    row(out, title, node, other, "");
  }

  /** One scenario: the node's figures, the comparison server's (ceiling or reference), and their ratio. */
  private static void row(StringBuilder out, String title, Map<?, ?> node, Map<?, ?> other, String note) {
    if (node.containsKey("failed") && !other.isEmpty() && !other.containsKey("failed")) {
      // the comparison server's figures still count: the node's failure goes in the last column
      Map<?, ?> lat = map(other.get("latencyMs"));
      out.append(String.format(ROW, title, "FAILED", "", "", "", "", quantity(number(other.get("throughput"))) + " "
          + String.valueOf(other.get("unit")).replace("deliveries", "dlv").replace("deltas", "d"), fmt(lat.get("p99")), "-",
          String.valueOf(node.get("failed")).replaceFirst("^java.util.concurrent.CompletionException: ", "")));
      return;
    }
    if (node.containsKey("failed")) {
      out.append(String.format("%-28s FAILED: %s%n", title, node.get("failed")));
      return;
    }
    String unit = String.valueOf(node.get("unit")).replace("deliveries", "dlv").replace("deltas", "d");
    Map<?, ?> lat = map(node.get("latencyMs"));
    double nodeThroughput = number(node.get("throughput"));
    boolean compared = !other.isEmpty() && !other.containsKey("failed");
    double otherThroughput = number(other.get("throughput"));
    out.append(String.format(ROW,
        title,
        quantity(nodeThroughput) + " " + unit,
        fmt(lat.get("p50")), fmt(lat.get("p99")), fmt(lat.get("p999")),
        node.get("errors"),
        other.containsKey("failed") ? "FAILED" : compared ? quantity(otherThroughput) + " " + unit : "-",
        compared ? fmt(map(other.get("latencyMs")).get("p99")) : "-",
        !compared || otherThroughput == 0 ? "-" : String.format("%.2f", nodeThroughput / otherThroughput),
        note + cpu(node)));
  }

  /** Node / reference for throughput and the latency percentiles (what is measured on both sides). */
  static Map<String, Object> ratios(Map<?, ?> node, Map<?, ?> reference) {
    Map<String, Object> ratios = new LinkedHashMap<>();
    ratio(ratios, "throughput", node.get("throughput"), reference.get("throughput"));
    Map<?, ?> lat = map(node.get("latencyMs"));
    Map<?, ?> refLat = map(reference.get("latencyMs"));
    for (String p : List.of("p50", "p99", "p999")) {
      ratio(ratios, p, lat.get(p), refLat.get(p));
    }
    return ratios;
  }

  private static void ratio(Map<String, Object> ratios, String key, Object node, Object reference) {
    if (node instanceof Number n && reference instanceof Number r && r.doubleValue() > 0) {
      ratios.put(key, Math.round(100 * n.doubleValue() / r.doubleValue()) / 100.0);
    }
  }

  private static void memoryRows(StringBuilder out, Map<?, ?> node, Map<?, ?> ceiling) {
    if (node.containsKey("failed")) {
      out.append(String.format("%-28s FAILED: %s%n", "memory", node.get("failed")));
      return;
    }
    Object n = node.get("gateways");
    Map<?, ?> gateways = map(node.get("withIdleGateways"));
    Map<?, ?> sessions = map(node.get("withSessions"));
    Map<?, ?> ceilingSessions = map(ceiling.get("withSessions"));
    out.append(String.format("%-28s %17s %8s %8s %8s %7s | %17s %8s %6s | %s%n",
        "memory " + n + " idle gw", "heap " + fmt(gateways.get("heapUsedMiB")) + " MiB",
        "", "", "", node.get("gatewayErrors"), "-", "", "",
        "rss " + fmt(gateways.get("rssMiB")) + " MiB, " + node.get("heapBytesPerIdleGateway") + " B/gw, "
            + node.get("gatewaysStartedPerSecond") + " gw/s"));
    double heap = number(sessions.get("heapUsedMiB"));
    double ceilingHeap = number(ceilingSessions.get("heapUsedMiB"));
    out.append(String.format("%-28s %17s %8s %8s %8s %7s | %17s %8s %6s | %s%n",
        "memory +" + n + " WS sessions", "heap " + fmt(sessions.get("heapUsedMiB")) + " MiB",
        "", "", "", node.get("sessionErrors"),
        ceilingSessions.isEmpty() ? "-" : "heap " + fmt(ceilingSessions.get("heapUsedMiB")) + " MiB", "",
        ceilingSessions.isEmpty() || ceilingHeap == 0 ? "-" : String.format("%.2f", heap / ceilingHeap),
        "rss " + fmt(sessions.get("rssMiB")) + " MiB (ceiling rss " + fmt(ceilingSessions.get("rssMiB")) + " MiB)"));
  }

  /** One gateway's heap after many distinct rows pushed and flushed, with what it took to push them. */
  private static void heapRowsRow(StringBuilder out, Map<?, ?> node) {
    String title = "heap 1 gw, " + quantity(number(node.get("rows"))) + " rows";
    if (node.containsKey("failed")) {
      out.append(String.format("%-28s FAILED: %s%n", title, node.get("failed")));
      return;
    }
    out.append(String.format(ROW, title, "heap +" + fmt(node.get("throughput")) + " MiB", "", "", "", node.get("errors"),
        "-", "", "", "index " + node.get("indexRows") + " rows, " + node.get("flushes") + " flushes, "
            + quantity(number(node.get("rowsPushedPerSecond"))) + " rows/s pushed, " + node.get("refusedPushes")
            + " refused; " + cpu(node)));
  }

  /** The targets, each checked against the scenario that measures it. */
  static List<Map<String, Object>> targets(List<Map<String, Object>> results, String setup) {
    List<Map<String, Object>> targets = new ArrayList<>();
    check(targets, results, "WS push b100 x 100 gw >= 100 000 acked deltas/s", "push-ws-b100-g100", "throughput", 100_000, true, " deltas/s");
    check(targets, results, "  p99 < 20 ms at half that rate (open loop)", "push-ws-b100-g100-half", "p99", 20, false, " ms");
    check(targets, results, "1 gw >= 5 000 durable push acks/s, 50 pushers (WS, b1)", "push-ws-b1-g1", "opsPerSecond", 5_000, true, " acks/s");
    check(targets, results, "1 gw >= 5 000 durable push acks/s, 50 pushers (HTTP, b1)", "push-http-b1-g1", "opsPerSecond", 5_000, true, " acks/s");
    check(targets, results, "pull 1 000 buffered deltas p99 < 10 ms (WS)", "pull-ws-buffer", "p99", 10, false, " ms");
    check(targets, results, "pull 1 000 buffered deltas p99 < 10 ms (HTTP)", "pull-http-buffer", "p99", 10, false, " ms");
    check(targets, results, "broadcast to 1 000 sessions p99 < 100 ms", "broadcast-1000", "p99", 100, false, " ms");
    check(targets, results, "flush >= 300 000 rows/s (embedded)", "flush", "throughput", 300_000, true, " rows/s");
    check(targets, results, "stream appends 50 c, 5 str >= 2x the reference (durable)", "stream-append", RATIO + "throughput", 2, true, "x");
    check(targets, results, "  p99 below the reference's", "stream-append", RATIO + "p99", 1, false, "x");
    check(targets, results, "stream appends 16 c, 1 str >= 2x the reference (durable)", "stream-one-16c", RATIO + "throughput", 2, true, "x");
    check(targets, results, "  p99 below the reference's", "stream-one-16c", RATIO + "p99", 1, false, "x");
    if (!setup.equals("embedded") && !targets.isEmpty() && targets.get(targets.size() - 1).get("scenario").equals("flush")) {
      targets.get(targets.size() - 1).put("met", null); // the target is for the embedded lake; reported, not judged
    }
    check(targets, results, "pull 1 000 deltas from the lake p99 < 20 ms", "pull-http-lake", "p99", 20, false, " ms");
    // 100 gateways must flush at least as fast as the push target fills them, each row exactly once.
    check(targets, results, "100 gw flush into one table >= 100 000 rows/s, rows once", LakeBench.SHARED_FLUSH,
        "throughput", 100_000, true, " rows/s");
    targets.stream().filter(target -> target.get("scenario").equals(LakeBench.SHARED_FLUSH)).findFirst().ifPresent(shared -> {
      Map<?, ?> node = results.stream().filter(r -> r.get("id").equals(LakeBench.SHARED_FLUSH))
          .map(r -> map(r.get("node"))).findFirst().orElse(Map.of());
      if (!Boolean.TRUE.equals(node.get("exactlyOnce"))) {
        shared.put("met", false);
        shared.put("measured", shared.get("measured") + ", NOT exactly once");
      } else if (!setup.equals("embedded")) {
        shared.put("met", null); // rows/s is judged on the embedded lake; exactly once everywhere
      }
    });
    for (Map<String, Object> result : results) {
      if (result.get("id").equals("memory") && map(result.get("node")).get("withIdleGateways") instanceof Map<?, ?> m) {
        Object n = map(result.get("node")).get("gateways");
        double heap = number(m.get("heapUsedMiB"));
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("target", "node heap < 1 GiB at 10 000 idle gateways" + (setup.equals("cluster") ? " (node 1 of 3)" : "") + (Integer.valueOf(10_000).equals(n) ? "" : " (measured at " + n + ")"));
        target.put("scenario", "memory");
        target.put("measured", fmt(heap) + " MiB");
        target.put("met", heap < 1024);
        targets.add(target);
      }
    }
    return targets;
  }

  /** A {@link #check} field that is a node / reference ratio (throughput, p99). */
  private static final String RATIO = "ratioToReference.";

  private static void check(List<Map<String, Object>> targets, List<Map<String, Object>> results, String text, String id,
                            String field, double limit, boolean atLeast, String unit) {
    for (Map<String, Object> result : results) {
      if (!result.get("id").equals(id)) {
        continue;
      }
      Map<?, ?> node = map(result.get("node"));
      boolean ratio = field.startsWith(RATIO);
      Object value = ratio ? map(result.get("ratioToReference")).get(field.substring(RATIO.length()))
          : field.equals("p99") ? map(node.get("latencyMs")).get("p99") : node.get(field);
      Map<String, Object> target = new LinkedHashMap<>();
      target.put("target", text);
      target.put("scenario", id);
      if (value instanceof Number v) {
        target.put("measured", (ratio ? fmt(v) : thousands(v.doubleValue())) + unit);
        target.put("value", v);
        target.put("met", atLeast ? v.doubleValue() >= limit : v.doubleValue() < limit);
      } else {
        target.put("measured", "not measured");
        target.put("met", null);
      }
      targets.add(target);
    }
  }

  private static String cpu(Map<?, ?> result) {
    Map<?, ?> cpu = map(result.get("cpuCores"));
    if (cpu.isEmpty()) {
      return "";
    }
    double server = 0;
    for (var e : cpu.entrySet()) {
      if (String.valueOf(e.getKey()).startsWith("server")) {
        server += number(e.getValue());
      }
    }
    String text = fmt(server) + "/" + fmt(cpu.get("client")) + "/" + fmt(cpu.get("other"));
    Map<?, ?> gc = map(result.get("gcPauses"));
    if (gc.get("totalMs") instanceof Number total && total.longValue() > 0) {
      text += "  gc " + gc.get("count") + " pauses " + total + " ms (max " + gc.get("maxMs") + ")";
    }
    return text;
  }

  static Map<?, ?> map(Object o) {
    return o instanceof Map<?, ?> m ? m : Map.of();
  }

  static double number(Object o) {
    return o instanceof Number n ? n.doubleValue() : 0;
  }

  static String fmt(Object o) {
    if (!(o instanceof Number n)) {
      return o == null ? "-" : o.toString();
    }
    double v = n.doubleValue();
    return v >= 100 ? String.format("%.0f", v) : v >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
  }

  /** Large figures with thousands separators, small ones with two or three significant digits (MB/s). */
  static String quantity(double v) {
    return v >= 100 ? thousands(v) : fmt(v);
  }

  static String thousands(double v) {
    return String.format("%,.0f", v).replace(',', ' ');
  }
}
