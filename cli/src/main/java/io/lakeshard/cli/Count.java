package io.lakeshard.cli;

import picocli.CommandLine.Option;

/** {@code --count N}: a reader that stops after N items (a script waiting for what it expects). */
final class Count {
  @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "0",
      description = "Stop after N items (default: no limit).")
  long max;

  /** Whether {@code printed} items are all that was asked for. */
  boolean reached(long printed) {
    return max > 0 && printed >= max;
  }
}
