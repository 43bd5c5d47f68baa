package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lakeshard stream create|append|read|tail}: the Durable Streams HTTP protocol on {@code
 * /v1/stream/{id}}. The token is the stream write token for create and append, a read JWT for
 * read and tail (when the node asks for them). A JSON stream's messages print as JSON lines;
 * other streams' bytes print as they are (UTF-8 text).
 */
@Command(name = "stream", mixinStandardHelpOptions = true, description = "Durable Streams: create, append, read, tail.",
    subcommands = {StreamCommand.Create.class, StreamCommand.Append.class, StreamCommand.Read.class,
        StreamCommand.Tail.class})
final class StreamCommand {
  private static final String NEXT_OFFSET = "Stream-Next-Offset";
  private static final String UP_TO_DATE = "Stream-Up-To-Date";
  private static final String CLOSED = "Stream-Closed";
  private static final String CURSOR = "Stream-Cursor";
  /**
   * A long-poll read answers within the node's LAKESHARD_STREAM_LONGPOLL_TIMEOUT (30 s by
   * default): wait that long and more before calling the connection dead.
   */
  private static final Duration LONG_POLL_MARGIN = Duration.ofSeconds(120);

  private StreamCommand() {}

  static String path(String streamId) {
    return "/v1/stream/" + Api.segment(streamId);
  }

  static boolean json(String contentType) {
    return contentType.toLowerCase(Locale.ROOT).startsWith("application/json");
  }

  /** A read's messages on {@code out}; how many. */
  static long print(HttpResponse<byte[]> page, PrintWriter out, Count count, long printed) {
    if (page.body().length == 0) {
      return printed;
    }
    if (json(page.headers().firstValue("Content-Type").orElse(""))) {
      for (JsonNode message : Api.parse(page)) {
        out.println(Api.line(message));
        if (count.reached(++printed)) {
          break;
        }
      }
    } else {
      out.print(new String(page.body(), StandardCharsets.UTF_8));
      printed++;
    }
    out.flush();
    return printed;
  }

  static String nextOffset(HttpResponse<byte[]> response) {
    return response.headers().firstValue(NEXT_OFFSET).orElseThrow(() ->
        CliError.unavailable(response.request().uri() + " answered without " + NEXT_OFFSET));
  }

  static boolean flag(HttpResponse<byte[]> response, String header) {
    return response.headers().firstValue(header).map("true"::equalsIgnoreCase).orElse(false);
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Creates the stream ID (PUT); prints 'created ID', or 'exists ID' when it exists with the same "
          + "settings.")
  static final class Create implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "The stream id.")
    String streamId;

    @Option(names = "--content-type", paramLabel = "TYPE", defaultValue = "application/json",
        description = "The stream's content type (default ${DEFAULT-VALUE}).")
    String contentType;

    @Option(names = "--ttl", paramLabel = "SECONDS", description = "Stream-TTL: the stream expires this long after "
        + "its creation.")
    Long ttlSeconds;

    @Mixin
    Server server;

    @Override
    public Integer call() {
      Api api = server.api();
      HttpRequest.Builder request = api.request(path(streamId)).header("Content-Type", contentType)
          .PUT(HttpRequest.BodyPublishers.noBody());
      if (ttlSeconds != null) {
        request.header("Stream-TTL", Long.toString(ttlSeconds));
      }
      HttpResponse<byte[]> created = api.send(request);
      server.out().println((created.statusCode() == 201 ? "created " : "exists ") + streamId);
      return Exit.OK;
    }
  }

  @Command(name = "append", mixinStandardHelpOptions = true,
      description = {"Appends to the stream ID (POST) and prints the stream's next offset.",
          "Each DATA is one message; without DATA, stdin: one message per line on a JSON stream, else all of it."})
  static final class Append implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "The stream id.")
    String streamId;

    @Parameters(index = "1..*", paramLabel = "DATA", description = "Messages (JSON values on a JSON stream).")
    List<String> data = new ArrayList<>();

    @Option(names = "--content-type", paramLabel = "TYPE",
        description = "The stream's content type (default: the stream's own, asked with HEAD).")
    String contentType;

    @Mixin
    Server server;

    @Override
    public Integer call() throws IOException {
      Api api = server.api();
      String type = Optional.ofNullable(contentType).orElseGet(() -> api.send(api.request(path(streamId))
          .method("HEAD", HttpRequest.BodyPublishers.noBody())).headers().firstValue("Content-Type")
          .orElse("application/octet-stream"));
      List<String> messages = data.isEmpty() ? stdin(json(type)) : data;
      if (messages.isEmpty()) {
        throw CliError.usage("nothing to append: pass DATA or give it on stdin");
      }
      String offset = "";
      for (String body : json(type) ? List.of(array(messages)) : messages) {
        offset = nextOffset(api.send(api.request(path(streamId)).header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofString(body))));
      }
      server.out().println(offset);
      return Exit.OK;
    }

    /** JSON messages as one array: the stream stores each element as a message, in one write. */
    private static String array(List<String> messages) {
      ArrayNode array = Api.JSON.createArrayNode();
      for (int i = 0; i < messages.size(); i++) {
        try {
          array.add(Api.JSON.readTree(messages.get(i)));
        } catch (IOException e) {
          throw CliError.usage("message " + (i + 1) + " is not JSON, and the stream is a JSON stream: "
              + messages.get(i));
        }
      }
      return Api.line(array);
    }

    private static List<String> stdin(boolean lines) throws IOException {
      String all = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
      if (!lines) {
        return all.isEmpty() ? List.of() : List.of(all);
      }
      return all.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
    }
  }

  /**
   * A read from an offset, page after page: plain GETs to the end ({@code read}), or long-poll
   * GETs that wait for appends until the stream is closed ({@code tail}).
   */
  abstract static class Reading implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "The stream id.")
    String streamId;

    @Mixin
    Count count;

    @Mixin
    Server server;

    int read(String offset, boolean live) {
      Api api = server.api();
      String from = offset;
      Optional<String> cursor = Optional.empty();
      long printed = 0;
      while (true) {
        String query = "?offset=" + Api.segment(from) + (live ? "&live=long-poll" : "")
            + cursor.map(value -> "&cursor=" + Api.segment(value)).orElse("");
        HttpResponse<byte[]> page = api.send(api.request(path(streamId) + query,
            live ? api.timeout().plus(LONG_POLL_MARGIN) : api.timeout()).GET());
        printed = print(page, server.out(), count, printed);
        from = nextOffset(page);
        cursor = page.headers().firstValue(CURSOR);
        boolean done = live ? flag(page, CLOSED) : flag(page, UP_TO_DATE) || page.body().length == 0;
        if (done || count.reached(printed)) {
          return Exit.OK;
        }
      }
    }
  }

  @Command(name = "read", mixinStandardHelpOptions = true,
      description = "Prints the stream ID from an offset to its end (GET), then stops.")
  static final class Read extends Reading {
    @Option(names = "--offset", paramLabel = "OFFSET", defaultValue = "-1",
        description = "Where to start: -1 (the start, default) or an offset a read or append printed.")
    String offset;

    @Override
    public Integer call() {
      return read(offset, false);
    }
  }

  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = "Follows the stream ID (long-poll reads), printing each message as it is appended, until the "
          + "stream is closed, --count or an interrupt.")
  static final class Tail extends Reading {
    @Option(names = "--offset", paramLabel = "OFFSET", defaultValue = "now",
        description = "Where to start: now (default: only new messages), -1 (the start) or an offset.")
    String offset;

    @Override
    public Integer call() {
      return read(offset, true);
    }
  }
}
