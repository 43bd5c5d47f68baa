package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lakeshard push GATEWAY [FILE]}: JSON lines of deltas, pushed in batches through {@code
 * POST /v1/sync/{gw}/push}, one batch at a time (each is acknowledged once journaled). A 503 with
 * Retry-After (backpressure, a journal hiccup) is waited out and the batch sent again: the gateway
 * drops deltaIds it has seen, so a retry never stores a delta twice.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = {"Pushes deltas, one JSON object per line (as 'lakeshard pull' prints them), from FILE or stdin.",
        "Prints a summary (deltas sent, accepted, elapsed, rate); a progress bar on stderr on a terminal."})
final class PushCommand implements Callable<Integer> {
  /** The node refuses a push of more deltas (400). */
  private static final int MAX_DELTAS = 10_000;

  @Parameters(index = "0", paramLabel = "GATEWAY", description = "The gateway id.")
  String gatewayId;

  @Parameters(index = "1", arity = "0..1", paramLabel = "FILE", defaultValue = "-", description = "JSON lines; - or none: stdin.")
  String file;

  @Option(names = "--client-id", paramLabel = "CLIENT",
      description = "The pushing client (must be the token's sub); default: the first delta's clientId.")
  String clientId;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "1000",
      description = "Deltas per push, 1 to 10000 (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--max-bytes", paramLabel = "BYTES", defaultValue = "900000",
      description = "JSON bytes per push at most (default ${DEFAULT-VALUE}: under the node's 1 MiB body limit).")
  long maxBytes;

  @Option(names = "--retries", paramLabel = "N", defaultValue = "10",
      description = "Times a batch is sent again after a 503 with Retry-After (default ${DEFAULT-VALUE}).")
  int retries;

  @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "A progress bar on stderr, when it is a terminal (default on; --no-progress: never).")
  boolean progress;

  @Option(names = "--json", description = "The summary as one JSON object.")
  boolean json;

  @Mixin
  Server server;

  @Override
  public Integer call() {
    if (batch < 1 || batch > MAX_DELTAS) {
      throw CliError.usage("--batch must be 1 to " + MAX_DELTAS);
    }
    if (maxBytes < 1) {
      throw CliError.usage("--max-bytes must be positive");
    }
    Api api = server.api();
    boolean stdin = file.equals("-");
    try (InputStream in = stdin ? System.in : open(Path.of(file))) {
      return push(api, in, stdin ? -1 : Files.size(Path.of(file)), stdin ? "stdin" : file);
    } catch (IOException e) {
      throw CliError.usage("cannot read " + file + ": " + e.getMessage());
    }
  }

  private int push(Api api, InputStream in, long size, String source) {
    DeltaLines lines = new DeltaLines(in, source, batch, maxBytes);
    Progress bar = new Progress(server.err(), progress && Progress.terminal(), size);
    long started = System.nanoTime();
    long sent = 0;
    long accepted = 0;
    long ingested = 0;
    int requests = 0;
    String serverHlc = "0";
    try {
      for (Optional<DeltaLines.Batch> next = lines.next(); next.isPresent(); next = lines.next()) {
        DeltaLines.Batch deltas = next.get();
        String pusher = Optional.ofNullable(clientId).or(deltas::firstClientId).orElseThrow(() ->
            CliError.usage("the first delta has no clientId: pass --client-id"));
        JsonNode answer = push(api, pusher, deltas);
        requests++;
        sent += deltas.deltas().size();
        accepted += answer.path("accepted").asLong();
        ingested += answer.path("deltas").size();
        serverHlc = answer.path("serverHlc").asText(serverHlc);
        bar.update(sent, lines.bytesRead());
      }
    } finally {
      bar.done();
    }
    summary(server.out(), new Summary(sent, accepted, ingested, requests,
        System.nanoTime() - started, serverHlc));
    return Exit.OK;
  }

  private JsonNode push(Api api, String pusher, DeltaLines.Batch deltas) {
    String body = "{\"clientId\":" + Api.line(Api.JSON.getNodeFactory().textNode(pusher))
        + ",\"lastSeenHlc\":\"0\",\"deltas\":[" + String.join(",", deltas.deltas()) + "]}";
    for (int attempt = 0; ; attempt++) {
      try {
        return api.json(api.request("/v1/sync/" + Api.segment(gatewayId) + "/push")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
      } catch (CliError error) {
        if (error.retryAfter().isEmpty() || attempt >= retries) {
          throw error;
        }
        Api.pause(error.retryAfter().get());
      }
    }
  }

  /**
   * {@code accepted}: deltas the node acknowledged (journaled or known already); {@code ingested}:
   * those it stored as new row versions (not duplicates, not older than the row's version).
   */
  private record Summary(long sent, long accepted, long ingested, int requests, long nanos, String serverHlc) {}

  private void summary(PrintWriter out, Summary summary) {
    long rate = Math.round(Progress.perSecond(summary.sent(), summary.nanos()));
    if (json) {
      out.println(Api.line(Api.JSON.createObjectNode().put("sent", summary.sent()).put("accepted", summary.accepted())
          .put("ingested", summary.ingested()).put("requests", summary.requests())
          .put("elapsedMs", summary.nanos() / 1_000_000).put("deltasPerSecond", rate)
          .put("serverHlc", summary.serverHlc())));
    } else {
      out.printf("pushed %d deltas in %d requests: %d accepted, %d ingested (the others were duplicates or older "
          + "versions), %.3f s, %d deltas/s, serverHlc %s%n", summary.sent(), summary.requests(), summary.accepted(),
          summary.ingested(), summary.nanos() / 1e9, rate, summary.serverHlc());
    }
  }

  private static InputStream open(Path path) throws IOException {
    try {
      return Files.newInputStream(path);
    } catch (NoSuchFileException e) {
      throw CliError.usage("no such file: " + path);
    }
  }
}
