package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code lakeshard backends}: {@code GET /v1/admin/backends} (any admin token). */
@Command(name = "backends", mixinStandardHelpOptions = true,
    description = "Prints the x-backend router's backends, of both registries (local and cloud), as this node "
        + "sees them.")
final class BackendsCommand implements Callable<Integer> {
  @Mixin
  Output output;

  @Mixin
  Server server;

  @Override
  public Integer call() {
    Api api = server.api();
    JsonNode backends = api.json(api.request("/v1/admin/backends").GET());
    output.print(server.out(), backends, out -> Output.table(out, "backends", backends.path("backends"), "id",
        "location", "url", "name", "type", "health_path", "has_credential"));
    return Exit.OK;
  }
}
