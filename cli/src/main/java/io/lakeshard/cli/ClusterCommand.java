package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code lakeshard cluster}: {@code GET /v1/admin/cluster} (any admin token). */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "Prints the cluster's members, where the shards are, and the live gateways and LiveStore stores.")
final class ClusterCommand implements Callable<Integer> {
  @Mixin
  Output output;

  @Mixin
  Server server;

  @Override
  public Integer call() {
    Api api = server.api();
    JsonNode cluster = api.json(api.request("/v1/admin/cluster").GET());
    output.print(server.out(), cluster, out -> {
      Output.table(out, "members", cluster.path("members"), "address", "status", "reachable");
      Output.table(out, "shards by node", cluster.path("nodes"), "address", "shards", "gateways");
      Output.table(out, "gateways", cluster.path("gateways"), "id", "node", "bufferedDeltas", "bufferedBytes",
          "sessions", "lastFlushSeq", "flushedUpTo");
      Output.table(out, "stores", cluster.path("stores"), "id", "node", "head", "events", "sessions");
    });
    return Exit.OK;
  }
}
