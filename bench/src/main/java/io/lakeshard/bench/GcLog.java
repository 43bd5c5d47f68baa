package io.lakeshard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's GC pauses inside a window, from its unified GC log ({@code -Xlog:gc:file=...:time},
 * which scripts/bench turns on): a stall of a second or more in the latencies is usually one of these.
 */
final class GcLog {
  private static final Pattern PAUSE = Pattern.compile(
      "^\\[([^\\]]+)\\].*GC\\(\\d+\\) (Pause [^(]+)\\(?.*?\\s([0-9.]+)ms\\s*$");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  private GcLog() {}

  /** {count, totalMs, maxMs, full (count of full collections)} of pauses that ended in [fromMillis, toMillis]. */
  static Map<String, Object> pauses(Path log, long fromMillis, long toMillis) {
    int count = 0;
    int full = 0;
    double total = 0;
    double max = 0;
    List<String> lines;
    try {
      lines = Files.readAllLines(log);
    } catch (IOException e) {
      return Map.of("error", e.toString());
    }
    for (String line : lines) {
      Matcher m = PAUSE.matcher(line);
      if (!m.find()) {
        continue;
      }
      long at;
      try {
        at = OffsetDateTime.parse(m.group(1), TIME).toInstant().toEpochMilli();
      } catch (RuntimeException e) {
        continue;
      }
      if (at < fromMillis || at > toMillis) {
        continue;
      }
      double ms = Double.parseDouble(m.group(3));
      count++;
      total += ms;
      max = Math.max(max, ms);
      if (m.group(2).startsWith("Pause Full")) {
        full++;
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("count", count);
    out.put("full", full);
    out.put("totalMs", Math.round(total));
    out.put("maxMs", Math.round(max));
    return out;
  }
}
