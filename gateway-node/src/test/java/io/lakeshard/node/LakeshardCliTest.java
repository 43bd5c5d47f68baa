package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.cli.Lakeshard;
import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.node.workspace.WorkspaceRole;
import io.lakeshard.node.workspace.WorkspaceSettings;
import io.lakeshard.node.workspace.WorkspaceToken;
import io.lakeshard.node.workspace.WorkspaceTokens;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code lakeshard} command line (cli/) against a real node on 127.0.0.1: in-process through
 * picocli with captured output for most commands, and as a process through {@code scripts/lakeshard}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LakeshardCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LIVESTORE_TOKEN = "cli-livestore-token";

  private final ExecutorService background = Executors.newCachedThreadPool();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private LakeshardNode node;
  private String url;
  @TempDir
  Path files;

  /** One in-process run: its exit code and what it printed. */
  record Run(int exit, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  @BeforeAll
  void startNode(@TempDir Path dataDir) {
    // A first flush creates the catalogue and its table: on a busy machine that outlasts the default 10 s ask.
    node = TestNode.start(dataDir, Map.of("lakeshard.livestore.auth-token", LIVESTORE_TOKEN,
        "lakeshard.http.ask-timeout", "60s"));
    url = "http://127.0.0.1:" + node.httpPort();
  }

  @AfterAll
  void stopNode() {
    background.shutdownNow();
    node.stop().toCompletableFuture().join();
  }

  @Test
  void mintsTokensTheNodeAccepts() throws Exception {
    String[] secret = {"--secret", TestNode.SECRET};
    JwtAuth auth = new JwtAuth(TestNode.SECRET, "", Clock.systemUTC());

    String minted = ok(cli(with(secret, "token", "gateway", "client-1", "gw-1", "--ttl", "10m"))).out().strip();
    JwtAuth.Principal client = auth.verify(minted);
    assertThat(client.clientId()).isEqualTo("client-1");
    assertThat(client.gatewayId()).isEqualTo("gw-1");
    assertThat(client.admin()).isFalse();

    JwtAuth.Principal admin = auth.verify(ok(cli(with(secret, "token", "admin", "gw-1"))).out().strip());
    assertThat(admin.admin()).isTrue();
    assertThat(admin.isFor("gw-1")).isTrue();

    assertThat(auth.verifyStreamReader(ok(cli(with(secret, "token", "stream-session", "abc"))).out().strip()))
        .contains("abc");

    String workspace = ok(cli(with(secret, "token", "workspace", "u-42", "-w", "ws-a=owner", "-w", "ws-b",
        "--claims-version", "7"))).out().strip();
    WorkspaceTokens.Verdict verdict = new WorkspaceTokens(TestNode.SECRET, "",
        new WorkspaceSettings(true, Duration.ZERO, "", Optional.empty(), Optional.empty()), Clock.systemUTC())
        .verify(Optional.of(workspace));
    assertThat(verdict).isInstanceOf(WorkspaceToken.class);
    WorkspaceToken token = (WorkspaceToken) verdict;
    assertThat(token.userId()).isEqualTo("u-42");
    assertThat(token.claimsVersion()).isEqualTo(7);
    assertThat(token.roleIn("ws-a")).contains(WorkspaceRole.OWNER);
    assertThat(token.roleIn("ws-b")).contains(WorkspaceRole.MEMBER);

    // The node takes it (an empty gateway: nothing printed).
    assertThat(ok(cli(at("pull", "gw-1", "--token", minted))).out()).isEmpty();

    assertUsageError(cli("token", "gateway", "c", "g", "--secret", ""), "no secret");
    assertUsageError(cli("token", "gateway", "c", "g", "--secret", "short"), "at least 256 bits");
    assertUsageError(cli("token", "workspace", "u", "-w", "ws=king", "--secret", TestNode.SECRET), "ID=ROLE");
  }

  @Test
  void pushesTenThousandDeltasFromAFileAndPullsThemAllBack() throws Exception {
    String token = TestNode.token("cli-pusher", "cli-push");
    Path file = deltas("cli-pusher", 10_000);

    JsonNode summary = JSON.readTree(ok(cli(at("push", "cli-push", file.toString(), "--json", "--token", token))).out());
    assertThat(summary.path("sent").asLong()).isEqualTo(10_000);
    assertThat(summary.path("accepted").asLong()).isEqualTo(10_000);
    assertThat(summary.path("ingested").asLong()).isEqualTo(10_000);
    assertThat(summary.path("requests").asLong()).isEqualTo(10);
    assertThat(summary.path("deltasPerSecond").asLong()).isPositive();

    Run pulled = ok(cli(at("pull", "cli-push", "--token", token)));
    Set<String> rows = new HashSet<>();
    for (String line : pulled.lines()) {
      rows.add(JSON.readTree(line).path("rowId").asText());
    }
    assertThat(pulled.lines()).hasSize(10_000);
    assertThat(rows).isEqualTo(IntStream.range(0, 10_000).mapToObj(i -> "r" + i).collect(Collectors.toSet()));

    // The same deltas again: acknowledged, and none stored twice.
    Run again = ok(cli(at("push", "cli-push", file.toString(), "--token", token, "--batch", "5000")));
    assertThat(again.out()).startsWith("pushed 10000 deltas in 2 requests: 10000 accepted, 0 ingested");
    assertThat(ok(cli(at("pull", "cli-push", "--token", token))).lines()).hasSize(10_000);
  }

  @Test
  void createsAppendsAndTailsAStream() throws Exception {
    assertThat(ok(cli(at("stream", "create", "cli-stream"))).out().strip()).isEqualTo("created cli-stream");
    assertThat(ok(cli(at("stream", "create", "cli-stream"))).out().strip()).isEqualTo("exists cli-stream");
    assertThat(ok(cli(at("stream", "append", "cli-stream", "{\"n\":1}"))).out().strip()).isNotEmpty();

    StringWriter tailed = new StringWriter();
    StringWriter tailErrors = new StringWriter();
    Future<Integer> tail = background.submit(() -> Lakeshard.commandLine(new PrintWriter(tailed, true),
        new PrintWriter(tailErrors, true)).execute(at("stream", "tail", "cli-stream", "--offset", "-1", "-n", "3")));
    Await.until("the tail printed the first message", Duration.ofSeconds(30),
        () -> tailed.toString().contains("{\"n\":1}"));
    ok(cli(at("stream", "append", "cli-stream", "{\"n\":2}", "{\"n\":3}")));
    assertThat(tail.get(30, TimeUnit.SECONDS)).as(tailErrors.toString()).isZero();
    assertThat(tailed.toString().lines().toList()).containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");

    assertThat(ok(cli(at("stream", "read", "cli-stream"))).lines()).containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
    Run notJson = cli(at("stream", "append", "cli-stream", "not json"));
    assertUsageError(notJson, "not JSON");
    Run missing = cli(at("stream", "read", "cli-no-such-stream"));
    assertThat(missing.exit()).as(missing.err()).isEqualTo(3);
    assertThat(missing.err()).startsWith("lakeshard: 404");
  }

  @Test
  void flushesAGateway() throws Exception {
    String token = TestNode.token("cli-flusher", "cli-flush");
    ok(cli(at("push", "cli-flush", deltas("cli-flusher", 5).toString(), "--token", token)));
    String admin = TestNode.adminToken("ops", "cli-flush");

    JsonNode flushed = JSON.readTree(ok(cli(at("flush", "cli-flush", "--json", "--token", admin))).out());
    assertThat(flushed.path("flushed").asBoolean()).isTrue();
    assertThat(flushed.path("rows").asLong()).isEqualTo(5);
    assertThat(ok(cli(at("flush", "cli-flush", "--token", admin))).out().strip()).isEqualTo("nothing to flush in cli-flush");

    Run notAdmin = cli(at("flush", "cli-flush", "--token", token));
    assertThat(notAdmin.exit()).isEqualTo(3);
    assertThat(notAdmin.err()).startsWith("lakeshard: 403 FORBIDDEN: admin role required");
  }

  @Test
  void showsTheClusterAndTheBackends() throws Exception {
    ok(cli(at("push", "cli-cluster", deltas("cli-c", 3).toString(), "--token", TestNode.token("cli-c", "cli-cluster"))));
    String admin = TestNode.adminToken("ops", "any");

    JsonNode cluster = JSON.readTree(ok(cli(at("cluster", "--json", "--token", admin))).out());
    assertThat(cluster.at("/members/0/status").asText()).isEqualTo("Up");
    List<String> gateways = new ArrayList<>();
    cluster.path("gateways").forEach(gateway -> gateways.add(gateway.path("id").asText()));
    assertThat(gateways).contains("cli-cluster");
    String table = ok(cli(at("cluster", "--token", admin))).out();
    assertThat(table).contains("members (1)").contains(" Up ").containsPattern("(?m)^ +cli-cluster +\\S+ +3 ");

    HttpResponse<String> registered = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/admin/backends/cli-b"))
        .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{\"url\":\"http://127.0.0.1:9\",\"name\":\"CLI backend\"}"))
        .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(registered.statusCode()).as(registered.body()).isIn(200, 202);
    assertThat(ok(cli(at("backends", "--token", admin))).out()).containsPattern("(?m)^ +cli-b +cloud +http://127.0.0.1:9 ");
  }

  @Test
  void tailsALiveStoreStore() throws Exception {
    String payload = "{\"authToken\":\"" + LIVESTORE_TOKEN + "\"}";
    HttpResponse<String> pushed = http.send(HttpRequest.newBuilder(URI.create(url + "/livestore"
            + LiveStoreTestClient.query("cli-store", payload, "http")))
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(15))
        .POST(HttpRequest.BodyPublishers.ofString(LiveStoreTestClient.request("1", "SyncHttpRpc.Push",
            LiveStoreTestClient.pushPayload("cli-store", payload, 1, 3, "v1.TodoCreated")))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(pushed.body()).contains("\"Success\"");

    Run all = ok(cli(at("livestore", "tail", "cli-store", "--no-follow", "--token", LIVESTORE_TOKEN)));
    assertThat(all.lines()).hasSize(3);
    assertThat(JSON.readTree(all.lines().get(2)).path("seqNum").asLong()).isEqualTo(3);
    Run after = ok(cli(at("livestore", "tail", "cli-store", "--after", "1", "-n", "2", "--token", LIVESTORE_TOKEN)));
    assertThat(after.lines().stream().map(line -> line.replaceAll(".*\"seqNum\":(\\d+).*", "$1")))
        .containsExactly("2", "3");

    Run wrongToken = cli(at("livestore", "tail", "cli-store", "--no-follow", "--token", "not-the-token"));
    assertThat(wrongToken.exit()).isEqualTo(3);
    assertThat(wrongToken.err()).startsWith("lakeshard: 400 TOKEN_INVALID");
  }

  @Test
  void badArgumentsAreUsageErrors() throws Exception {
    assertUsageError(cli("push"), "Missing required parameter");
    assertUsageError(cli("pull", "gw", "--bogus"), "Unknown option");
    assertUsageError(cli("frobnicate"), "Unmatched argument");
    assertUsageError(cli(at("pull", "gw", "--since", "yesterday")), "decimal HLC");
    assertUsageError(cli(at("pull", "gw", "--interval", "soon")), "not a duration");
    assertUsageError(cli("cluster", "--url", "ftp://example.com"), "not an http");
    Path bad = files.resolve("bad.jsonl");
    Files.writeString(bad, Files.readString(deltas("c", 1)) + "not json\n");
    assertUsageError(cli(at("push", "gw", bad.toString())), "line 2 is not JSON");
    assertUsageError(cli(at("push", "gw", files.resolve("missing.jsonl").toString())), "no such file");
    assertThat(ok(cli("push", "--help")).out()).contains("Usage: lakeshard push").contains("--url");
  }

  @Test
  void refusalsAndUnreachableNodesHaveTheirExitCodes() throws Exception {
    String forged = io.lakeshard.protocol.Tokens.gateway("another-secret-that-is-at-least-32-bytes", "c", "gw", false,
        Duration.ofMinutes(5), Clock.systemUTC());
    Run refused = cli(at("pull", "gw", "--token", forged));
    assertThat(refused.exit()).isEqualTo(3);
    assertThat(refused.err()).startsWith("lakeshard: 401 AUTH_ERROR: bad token signature");
    assertOneLine(refused.err());

    Run missing = cli(at("pull", "gw"));
    assertThat(missing.exit()).isEqualTo(3);
    assertThat(missing.err()).contains("missing bearer token");

    Run unreachable = cli("cluster", "--url", "http://127.0.0.1:" + FreePorts.next());
    assertThat(unreachable.exit()).isEqualTo(4);
    assertThat(unreachable.err()).contains("cannot connect");
    assertOneLine(unreachable.err());
  }

  /** {@code scripts/lakeshard tail -f}, as a process, with the node's address and token from the environment. */
  @Test
  void theLauncherFollowsAGateway() throws Exception {
    String token = TestNode.token("cli-proc", "cli-tail");
    ok(cli(at("push", "cli-tail", deltas("cli-proc", 3).toString(), "--token", token)));
    Process tail = launcher(token, "tail", "-f", "cli-tail", "--interval", "200ms").start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(tail.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(readLines(out, 3)).allSatisfy(line -> assertThat(line).contains("\"clientId\":\"cli-proc\""));
      Path more = files.resolve("more.jsonl");
      Files.writeString(more, Files.readString(deltas("cli-proc", 5)).lines().skip(3)
          .map(line -> line + "\n").reduce("", String::concat));
      ok(cli(at("push", "cli-tail", more.toString(), "--token", token)));
      assertThat(readLines(out, 2)).extracting(line -> JSON.readTree(line).path("rowId").asText())
          .containsExactly("r3", "r4");
    } finally {
      tail.destroy();
      assertThat(tail.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    Process usage = launcher(token, "pull", "cli-tail", "--since", "yesterday")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String err = new String(usage.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(usage.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(usage.exitValue()).as(err).isEqualTo(2);
    assertThat(err.lines().filter(line -> line.startsWith("lakeshard: ")).toList())
        .containsExactly("lakeshard: --since must be a decimal HLC (a serverHlc), not yesterday");
  }

  private ProcessBuilder launcher(String token, String... args) {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("scripts/lakeshard"))) {
      root = root.getParent();
    }
    List<String> command = new ArrayList<>(List.of(root.resolve("scripts/lakeshard").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("LAKESHARD_URL", url);
    builder.environment().put("LAKESHARD_TOKEN", token);
    return builder.redirectError(ProcessBuilder.Redirect.PIPE);
  }

  /** {@code n} lines of a process's output, within a minute (the first run may build the jar). */
  private List<String> readLines(BufferedReader out, int n) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      List<String> lines = new ArrayList<>();
      try {
        for (String line; lines.size() < n && (line = out.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return lines;
    }, background).get(3, TimeUnit.MINUTES);
  }

  /** {@code count} INSERT deltas of {@code clientId}, rows r0…, as JSON lines, HLCs of now. */
  private Path deltas(String clientId, int count) throws IOException {
    long hlc = System.currentTimeMillis() << 16;
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < count; i++) {
      lines.append("{\"op\":\"INSERT\",\"table\":\"todos\",\"rowId\":\"r").append(i).append("\",\"clientId\":\"")
          .append(clientId).append("\",\"hlc\":\"").append(hlc + i)
          .append("\",\"columns\":[{\"column\":\"title\",\"value\":\"todo ").append(i).append("\"}]}\n");
    }
    Path file = Files.createTempFile(files, clientId, ".jsonl");
    Files.writeString(file, lines);
    return file;
  }

  private Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Lakeshard.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** {@code args}, then the node's address and a timeout above the node's ask timeout. */
  private String[] at(String... args) {
    return with(new String[] {"--url", url, "--timeout", "90s"}, args);
  }

  private static String[] with(String[] options, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(options));
    return all.toArray(String[]::new);
  }

  private static Run ok(Run run) {
    assertThat(run.exit()).as("exit code; stderr: " + run.err()).isZero();
    return run;
  }

  private static void assertUsageError(Run run, String message) {
    assertThat(run.exit()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).startsWith("lakeshard: ").contains(message);
    assertOneLine(run.err());
  }

  private static void assertOneLine(String err) {
    assertThat(err.lines().toList()).hasSize(1);
    assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
  }
}
