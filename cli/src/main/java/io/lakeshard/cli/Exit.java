package io.lakeshard.cli;

/**
 * The exit codes a script can rely on (documented in the README's "Command line" and in {@code
 * lakeshard --help}): picocli's own 0 and 2, and one code per side that failed.
 */
final class Exit {
  /** Done. */
  static final int OK = 0;
  /** A bug in the command line itself (its message says so). */
  static final int INTERNAL = 1;
  /** Bad arguments or options, or input that is not what the command reads (a missing file, a line that is no JSON object). */
  static final int USAGE = 2;
  /** The server refused the request (a 4xx answer: bad token, not allowed, not found, invalid data). */
  static final int REFUSED = 3;
  /** The server failed (5xx) or could not be reached in time (no connection, a timeout, a broken answer). */
  static final int UNAVAILABLE = 4;

  private Exit() {}
}
