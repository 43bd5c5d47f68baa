package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code lakeshard flush GATEWAY}: {@code POST /v1/admin/flush/{gw}} (an admin token for that gateway). */
@Command(name = "flush", mixinStandardHelpOptions = true,
    description = "Flushes a gateway's buffer to the lake now (every shard of a sharded one) and prints what was "
        + "written.")
final class FlushCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "GATEWAY", description = "The gateway id.")
  String gatewayId;

  @Mixin
  Output output;

  @Mixin
  Server server;

  @Override
  public Integer call() {
    Api api = server.api();
    JsonNode flushed = api.json(api.request("/v1/admin/flush/" + Api.segment(gatewayId))
        .POST(HttpRequest.BodyPublishers.noBody()));
    output.print(server.out(), flushed, out -> {
      if (!flushed.path("flushed").asBoolean()) {
        out.println("nothing to flush in " + gatewayId);
        return;
      }
      out.printf("flushed %s: seq %s, %d rows, %d bytes%n", gatewayId, flushed.path("seq").asText(),
          flushed.path("rows").asLong(), flushed.path("bytes").asLong());
      Output.table(out, "files", flushed.path("files"), "table", "rows", "bytes", "alreadyCommitted", "file");
    });
    return Exit.OK;
  }
}
