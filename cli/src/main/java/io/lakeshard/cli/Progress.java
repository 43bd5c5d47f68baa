package io.lakeshard.cli;

import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second: the share of the input
 * read (when its size is known), the count and the rate. Off when stderr is not a terminal.
 */
final class Progress {
  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter err;
  private final boolean on;
  private final long totalBytes;
  private final long started = System.nanoTime();
  private long drawn;

  /** {@code totalBytes}: the input's size, or -1 when unknown (stdin). */
  Progress(PrintWriter err, boolean on, long totalBytes) {
    this.err = err;
    this.on = on;
    this.totalBytes = totalBytes;
  }

  /** Whether a progress bar can be seen: a console is attached (stdin and stdout are a terminal). */
  static boolean terminal() {
    return System.console() != null;
  }

  void update(long count, long bytes) {
    long now = System.nanoTime();
    if (!on || now - drawn < REDRAW_NANOS) {
      return;
    }
    drawn = now;
    StringBuilder line = new StringBuilder("\r");
    if (totalBytes > 0) {
      double share = Math.min(1.0, (double) bytes / totalBytes);
      int filled = (int) Math.round(share * WIDTH);
      line.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("] ")
          .append(String.format("%3d%%  ", Math.round(share * 100)));
    }
    line.append(String.format("%,d deltas  %,.0f/s ", count, perSecond(count, now - started)));
    err.print(line);
    err.flush();
  }

  /** Clears the bar, so that the summary stands alone. */
  void done() {
    if (on && drawn != 0) {
      err.print("\r" + " ".repeat(WIDTH + 40) + "\r");
      err.flush();
    }
  }

  static double perSecond(long count, long nanos) {
    return nanos <= 0 ? 0 : count * 1e9 / nanos;
  }
}
