package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lakeshard livestore tail STORE}: a LiveStore store's events, over LiveStore's HTTP transport. */
@Command(name = "livestore", mixinStandardHelpOptions = true, description = "LiveStore stores.",
    subcommands = LiveStoreCommand.Tail.class)
final class LiveStoreCommand {
  private LiveStoreCommand() {}

  /**
   * Pulls with {@code SyncHttpRpc.Pull} (LiveStore's own HTTP transport, {@code transport=http}),
   * which answers every page up to the store's head, then again every {@code --interval} from the
   * last event's seqNum and the store's backendId. The sync payload is {@code --payload}, else
   * {@code {"authToken": TOKEN, "instanceId": STORE}} (the static token, or a workspace token).
   */
  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = {"Prints the store's events as JSON lines (LiveStore's eventEncoded: name, args, seqNum, "
          + "parentSeqNum, clientId, sessionId), then follows new ones.",
          "--token is the sync payload's authToken."})
  static final class Tail implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STORE", description = "The storeId.")
    String storeId;

    @Option(names = "--after", paramLabel = "SEQNUM", defaultValue = "0",
        description = "Only events after this seqNum (default ${DEFAULT-VALUE}: all).")
    long after;

    @Option(names = "--payload", paramLabel = "JSON",
        description = "The sync payload as JSON (default: {\"authToken\": TOKEN, \"instanceId\": STORE}).")
    String payload;

    @Option(names = "--follow", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Follow new events (default); --no-follow: stop at the store's head.")
    boolean follow;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = Durations.class,
        description = "The wait between pulls once caught up (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Mixin
    Count count;

    @Mixin
    Server server;

    @Override
    public Integer call() {
      JsonNode syncPayload = syncPayload();
      Api api = server.api(false); // the token travels in the payload, not as a bearer
      // The payload is percent-encoded twice, as LiveStore's client sends it (the node decodes it once more).
      String query = "/livestore?storeId=" + Api.segment(storeId) + "&payload="
          + Api.segment(Api.segment(Api.line(syncPayload))) + "&transport=http";
      PrintWriter out = server.out();
      Optional<String> backendId = Optional.empty();
      long head = after;
      long printed = 0;
      for (long request = 1; ; request++) {
        ObjectNode pull = Api.JSON.createObjectNode().put("_tag", "Request").put("id", Long.toString(request))
            .put("tag", "SyncHttpRpc.Pull");
        pull.putArray("headers");
        ObjectNode body = pull.putObject("payload").put("storeId", storeId);
        body.set("payload", syncPayload);
        ObjectNode cursor = body.putObject("cursor");
        if (backendId.isEmpty()) {
          cursor.put("_tag", "None"); // the first pull learns the store's backendId; events up to --after are skipped
        } else {
          cursor.put("_tag", "Some").putObject("value").put("backendId", backendId.get())
              .put("eventSequenceNumber", head);
        }
        JsonNode messages = api.json(api.request(query).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Api.line(pull))));
        for (JsonNode message : messages) {
          failure(message);
          for (JsonNode value : message.path("values")) {
            backendId = Optional.of(value.path("backendId").asText());
            for (JsonNode item : value.path("batch")) {
              JsonNode event = item.path("eventEncoded");
              long seqNum = event.path("seqNum").asLong();
              if (seqNum <= head) {
                continue;
              }
              head = seqNum;
              out.println(Api.line(event));
              if (count.reached(++printed)) {
                out.flush();
                return Exit.OK;
              }
            }
          }
        }
        out.flush();
        if (!follow) {
          return Exit.OK;
        }
        Api.pause(interval);
      }
    }

    private JsonNode syncPayload() {
      if (payload != null) {
        try {
          return Api.JSON.readTree(payload);
        } catch (java.io.IOException e) {
          throw CliError.usage("--payload is not JSON: " + payload);
        }
      }
      ObjectNode made = Api.JSON.createObjectNode();
      if (server.token != null && !server.token.isBlank()) {
        made.put("authToken", server.token).put("instanceId", storeId);
      }
      return made;
    }

    /** An Exit Failure (ServerAheadError, BackendIdMismatchError, UnknownError): the store refused the pull. */
    private static void failure(JsonNode message) {
      if (message.path("_tag").asText().equals("Exit") && message.at("/exit/_tag").asText().equals("Failure")) {
        JsonNode error = message.at("/exit/cause/error");
        String detail = error.path("cause").asText(error.path("note").asText(""));
        throw CliError.refused("the store refused the pull: " + error.path("_tag").asText("failure")
            + (detail.isEmpty() ? "" : " (" + detail + ")"));
      }
    }
  }
}
