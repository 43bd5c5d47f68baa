package io.lakeshard.cli;

import java.time.Duration;
import java.util.Optional;

/**
 * Why a command stopped, with its exit code: printed as one line on stderr, never a stack trace.
 * {@code retryAfter}: the server's Retry-After on a 503 (a push waits that long and retries).
 */
final class CliError extends RuntimeException {
  private final int exitCode;
  private final Optional<Duration> retryAfter;

  private CliError(int exitCode, String message, Optional<Duration> retryAfter) {
    super(message, null, false, false);
    this.exitCode = exitCode;
    this.retryAfter = retryAfter;
  }

  static CliError usage(String message) {
    return new CliError(Exit.USAGE, message, Optional.empty());
  }

  static CliError refused(String message) {
    return new CliError(Exit.REFUSED, message, Optional.empty());
  }

  static CliError unavailable(String message) {
    return unavailable(message, Optional.empty());
  }

  static CliError unavailable(String message, Optional<Duration> retryAfter) {
    return new CliError(Exit.UNAVAILABLE, message, retryAfter);
  }

  int exitCode() {
    return exitCode;
  }

  Optional<Duration> retryAfter() {
    return retryAfter;
  }
}
