package io.lakeshard.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * LiveStore's own client (npm {@code @livestore/adapter-node} + {@code @livestore/sync-cf} 0.4.0),
 * headless in a Node process, driven over stdin/stdout by {@code src/test/livestore/client.mjs}.
 * Closing it ends the process; a test closes every client it starts, also when it fails.
 */
final class LiveStoreClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How long the Java side waits for an answer beyond the driver's own bound for the command. */
  private static final Duration ANSWER_MARGIN = Duration.ofSeconds(15);
  private static final int LOG_LINES = 60;
  private static Path driver;

  /**
   * What the client has: its todos in materialization order; its confirmed event log (todo ids,
   * sequence numbers and parents, in order); what the backend sent it, and how many of its pushes
   * it refused as behind (ServerAheadError).
   */
  record State(List<String> ids, List<String> logIds, List<Long> seqs, List<Long> parents, long upstreamHead,
      int pending, int receivedEvents, int receivedChunks, int maxBatch, List<String> backendIds, int serverAhead,
      List<Long> closeCodes, List<String> refusedConnects) {
    static State of(JsonNode answer) {
      return new State(strings(answer.get("ids")), strings(answer.get("logIds")), longs(answer.get("seqs")),
          longs(answer.get("parents")), answer.get("upstreamHead").asLong(),
          answer.get("pending").asInt(), answer.get("receivedEvents").asInt(), answer.get("receivedChunks").asInt(),
          answer.get("maxBatch").asInt(), strings(answer.get("backendIds")),
          answer.get("serverAhead").asInt(), longs(answer.get("closeCodes")), strings(answer.get("refusedConnects")));
    }
  }

  /** Where and as whom a client connects; {@code instanceId}: sent in the sync payload unless null. */
  record Options(String url, String transport, String storeId, String clientId, String authToken, Path storageDir,
                 String instanceId) {
    Options(String url, String transport, String storeId, String clientId, String authToken, Path storageDir) {
      this(url, transport, storeId, clientId, authToken, storageDir, null);
    }

    Options withTransport(String other, String otherUrl) {
      return new Options(otherUrl, other, storeId, clientId, authToken, storageDir, instanceId);
    }

    Options withStorage(Path dir) {
      return new Options(url, transport, storeId, clientId, authToken, dir, instanceId);
    }
  }

  private final String name;
  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
  private final Deque<String> log = new ArrayDeque<>();

  private LiveStoreClient(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readOutput, "livestore-client-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts a client and waits until its store is open (loaded from its file storage, if any). */
  static LiveStoreClient start(Options options) throws IOException, InterruptedException {
    return startAll(List.of(options)).get(0);
  }

  /** Starts the clients side by side (a start costs seconds of CPU) and waits until every store is open. */
  static List<LiveStoreClient> startAll(List<Options> options) throws IOException, InterruptedException {
    List<LiveStoreClient> started = new ArrayList<>();
    try {
      for (Options each : options) {
        started.add(launch(each));
      }
      for (LiveStoreClient client : started) {
        client.answer(Duration.ofSeconds(60), "start");
      }
    } catch (IOException | RuntimeException | Error e) {
      for (LiveStoreClient client : started) {
        client.close();
      }
      throw e;
    }
    return started;
  }

  private static LiveStoreClient launch(Options options) throws IOException, InterruptedException {
    Map<String, String> env = new HashMap<>(Map.of(
        "LS_URL", options.url(), "LS_TRANSPORT", options.transport(),
        "LS_STORE_ID", options.storeId(), "LS_CLIENT_ID", options.clientId()));
    if (options.authToken() != null) {
      env.put("LS_AUTH_TOKEN", options.authToken());
    }
    if (options.instanceId() != null) {
      env.put("LS_INSTANCE_ID", options.instanceId());
    }
    if (options.storageDir() != null) {
      env.put("LS_STORAGE_DIR", options.storageDir().toString());
    }
    ProcessBuilder builder = new ProcessBuilder("node", driver().toString()).redirectErrorStream(true);
    builder.environment().putAll(env);
    return new LiveStoreClient(options.clientId(), builder.start());
  }

  /** Commits {@code count} todos {@code prefix-0 …}, one event each; returns once committed locally. */
  void commit(String prefix, int count) throws InterruptedException {
    send(command("commit").put("prefix", prefix).put("count", count));
    answer(Duration.ofSeconds(30), "commit");
  }

  /** Sends a commit without waiting for its answer, so that several clients commit at once; see {@link #committed}. */
  void commitAsync(String prefix, int count) {
    send(command("commit").put("prefix", prefix).put("count", count));
  }

  /** The answer to the {@link #commitAsync} sent last. */
  void committed() throws InterruptedException {
    answer(Duration.ofSeconds(30), "commit");
  }

  /** Waits until the client has at least {@code count} todos, every event confirmed by the backend. */
  State awaitTodos(int count, Duration limit) throws InterruptedException {
    send(command("await").put("count", count).put("timeoutMs", limit.toMillis()));
    return State.of(answer(limit, "await " + count + " todos"));
  }

  State state() throws InterruptedException {
    send(command("state"));
    return State.of(answer(Duration.ofSeconds(10), "state"));
  }

  /** The driver's last lines (LiveStore's logs included), for a failure message. */
  synchronized String logTail() {
    return String.join("\n", log);
  }

  /** Shuts the store down cleanly (its file storage stays consistent), or kills the process. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      try {
        send(command("exit"));
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (UncheckedIOException gone) {
        // the process closed its input: it is exiting
      }
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private ObjectNode command(String cmd) {
    return JSON.createObjectNode().put("cmd", cmd);
  }

  private void send(ObjectNode command) {
    try {
      stdin.write(command + "\n");
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("client " + name + " does not take commands; its log ends:\n" + logTail(), e);
    }
  }

  private JsonNode answer(Duration limit, String what) throws InterruptedException {
    JsonNode answer = answers.poll(limit.plus(ANSWER_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
    if (answer == null) {
      throw new AssertionError("client " + name + ": no answer to " + what + " within "
          + limit.plus(ANSWER_MARGIN).toSeconds() + " s (process " + (process.isAlive() ? "alive" : "exited")
          + "); its log ends:\n" + logTail());
    }
    if (answer.has("ok") && !answer.get("ok").asBoolean()) {
      throw new AssertionError("client " + name + ": " + what + " failed: " + answer.get("error").asText()
          + "\nits log ends:\n" + logTail());
    }
    return answer;
  }

  private void readOutput() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith("@@ ")) {
          answers.add(JSON.readTree(line.substring(3)));
        } else {
          remember(line);
        }
      }
    } catch (IOException ended) {
      remember("(output ended: " + ended + ")");
    }
    answers.add(JSON.createObjectNode().put("ok", false).put("error", "the client process exited"));
  }

  private synchronized void remember(String line) {
    log.addLast(line);
    if (log.size() > LOG_LINES) {
      log.removeFirst();
    }
  }

  /**
   * The driver, inside the folder scripts/livestore-clients installs the pinned npm packages into
   * (once per checkout), so that its imports resolve there.
   */
  private static synchronized Path driver() throws IOException, InterruptedException {
    if (driver == null) {
      Path root = Path.of("").toAbsolutePath();
      while (!Files.exists(root.resolve("scripts/livestore-clients"))) {
        root = root.getParent();
        if (root == null) {
          throw new IllegalStateException("scripts/livestore-clients not found above " + Path.of("").toAbsolutePath());
        }
      }
      Process install = new ProcessBuilder(root.resolve("scripts/livestore-clients").toString())
          .redirectErrorStream(true).start();
      String output = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!install.waitFor(10, TimeUnit.MINUTES) || install.exitValue() != 0) {
        throw new IllegalStateException("scripts/livestore-clients failed:\n" + output);
      }
      List<String> lines = output.lines().toList();
      Path drivers = Files.createDirectories(Path.of(lines.get(lines.size() - 1)).resolve("drivers"));
      Path sources = root.resolve("gateway-node/src/test/livestore");
      try (var files = Files.list(sources)) {
        for (Path file : files.toList()) {
          Files.copy(file, drivers.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      driver = drivers.resolve("client.mjs");
    }
    return driver;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static List<Long> longs(JsonNode array) {
    List<Long> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asLong()));
    return values;
  }
}
