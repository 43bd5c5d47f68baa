package io.lakeshard.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options of every command that talks to a node (where it is, the bearer token), and its output. */
final class Server {
  @Option(names = "--url", paramLabel = "URL", defaultValue = "${env:LAKESHARD_URL:-http://127.0.0.1:8787}",
      description = "The node's HTTP address (env LAKESHARD_URL; default ${DEFAULT-VALUE}).")
  String url;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:LAKESHARD_TOKEN}",
      description = "The bearer token (env LAKESHARD_TOKEN), e.g. from 'lakeshard token'.")
  String token;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.class,
      description = "How long to wait for an answer (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  /** The command's stdout (a test's writer, in process). */
  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  Api api() {
    return api(true);
  }

  /** {@code bearer}: whether requests carry the token as their bearer. */
  Api api(boolean bearer) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw CliError.usage("--url " + url + " is not a URL");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw CliError.usage("--url " + url + " is not an http:// or https:// address");
    }
    return new Api(url, Optional.ofNullable(token).filter(value -> bearer && !value.isBlank()), timeout);
  }
}
