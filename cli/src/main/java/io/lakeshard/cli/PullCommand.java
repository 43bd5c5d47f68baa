package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lakeshard pull GATEWAY} (also {@code tail}): pages of {@code GET /v1/sync/{gw}/pull}
 * from a cursor, each delta printed as a JSON line, following {@code hasMore}; with {@code -f},
 * on for good, asking again every {@code --interval} once caught up. The cursor is always the last
 * answer's serverHlc, which never skips a delta (see the README's "Clock and cursors").
 */
@Command(name = "pull", aliases = "tail", mixinStandardHelpOptions = true,
    description = {"Prints a gateway's deltas as JSON lines, from a cursor to the end (-f: and on).",
        "'lakeshard tail -f GATEWAY' keeps following new deltas."})
final class PullCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "GATEWAY", description = "The gateway id.")
  String gatewayId;

  @Option(names = "--since", paramLabel = "HLC", defaultValue = "0",
      description = "The cursor: a serverHlc seen before (default ${DEFAULT-VALUE}: from the start).")
  String since;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "1000",
      description = "Deltas per page, 1 to 10000 (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = {"-f", "--follow"}, description = "Keep following new deltas (until interrupted or --count).")
  boolean follow;

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
      description = "With -f: the wait between polls once caught up (default ${DEFAULT-VALUE}).")
  Duration interval;

  @Mixin
  Count count;

  @Mixin
  Server server;

  @Override
  public Integer call() {
    if (limit < 1 || limit > 10_000) {
      throw CliError.usage("--limit must be 1 to 10000");
    }
    if (!since.matches("\\d{1,20}")) {
      throw CliError.usage("--since must be a decimal HLC (a serverHlc), not " + since);
    }
    Api api = server.api();
    PrintWriter out = server.out();
    String cursor = since;
    long printed = 0;
    while (true) {
      JsonNode page = api.json(api.request("/v1/sync/" + Api.segment(gatewayId) + "/pull?since=" + cursor
          + "&limit=" + limit).GET());
      for (JsonNode delta : page.path("deltas")) {
        out.println(Api.line(delta));
        if (count.reached(++printed)) {
          out.flush();
          return Exit.OK;
        }
      }
      out.flush();
      cursor = page.path("serverHlc").asText(cursor);
      if (!page.path("hasMore").asBoolean(false)) {
        if (!follow) {
          return Exit.OK;
        }
        Api.pause(interval);
      }
    }
  }
}
