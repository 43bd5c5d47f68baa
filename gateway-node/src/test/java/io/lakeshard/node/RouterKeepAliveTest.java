package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keep-alive on both sides of the router. Upstream: a backend that closes a kept-alive connection
 * as the next request arrives on it (what the router sees when a backend closes an idle connection
 * just as a request goes out on it) costs an idempotent request nothing, it goes again on a new
 * connection; a POST whose body went out is never sent twice. Client side: a connection with no
 * request in progress is closed after the (shortened) idle timeout, one whose request takes longer
 * than that is not. Requests go over raw sockets, so no client's own retry or pool hides anything.
 */
class RouterKeepAliveTest {
  @TempDir
  static Path dir;
  private static ClosingUpstream closing;
  private static EchoUpstreams.Jdk echo;
  private static LakeshardNode node;

  @BeforeAll
  static void start() throws Exception {
    closing = new ClosingUpstream();
    echo = new EchoUpstreams.Jdk("echo");
    node = TestNode.start(dir.resolve("node"), Map.of(
        "lakeshard.router.port", 0,
        "lakeshard.router.idle-timeout", "1s",
        "lakeshard.router.upstream-timeout", "10s",
        "lakeshard.router.health.interval", "1h",
        // one event loop, so one pool: a request's connection is the one the request before it left there
        "lakeshard.router.event-loop-threads", 1,
        // each backend has a pool of its own: one test's connections are not another's
        "lakeshard.router.backends.idempotent.url", closing.url() + "/idempotent",
        "lakeshard.router.backends.post.url", closing.url() + "/post",
        "lakeshard.router.backends.echo.url", echo.url()));
  }

  @AfterAll
  static void stop() throws Exception {
    node.stop().toCompletableFuture().join();
    closing.close();
    echo.close();
  }

  @Test
  void anIdempotentRequestOnAConnectionTheBackendClosedGoesAgainOnANewOne() throws Exception {
    for (String method : List.of("GET", "HEAD", "PUT", "DELETE")) {
      String path = "/" + method.toLowerCase(Locale.ROOT);
      assertThat(call(method, path + "/first", "idempotent", null)).as(method + ", first").startsWith("HTTP/1.1 200");
      // its connection waits in the pool; the backend closes it as this one arrives
      assertThat(call(method, path + "/again", "idempotent", null)).as(method + ", on the reused connection")
          .startsWith("HTTP/1.1 200");
      assertThat(closing.seen).as("read on the closed connection, then answered on a new one")
          .containsSubsequence(method + " /idempotent" + path + "/again unanswered", method + " /idempotent" + path + "/again");
    }
  }

  @Test
  void aPostWhoseBodyWentOutIsNeverSentTwice() throws Exception {
    assertThat(call("POST", "/orders", "post", "{\"n\":1}")).startsWith("HTTP/1.1 200");
    String second = call("POST", "/orders/2", "post", "{\"n\":2}");
    assertThat(second).startsWith("HTTP/1.1 503").contains("\"error\":\"Backend Unavailable\"");
    assertThat(closing.seen.stream().filter(request -> request.startsWith("POST /post/orders/2"))).hasSize(1);
  }

  @Test
  void anIdleClientConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (Socket socket = routerSocket()) {
      socket.getOutputStream().write(request("GET", "/kept", "echo", null, false));
      assertThat(response(socket.getInputStream())).startsWith("HTTP/1.1 200");
      long answered = System.nanoTime();
      assertThat(socket.getInputStream().read()).as("closed by the router").isEqualTo(-1);
      assertThat(Duration.ofNanos(System.nanoTime() - answered)).isGreaterThan(Duration.ofMillis(500));
    }
    try (Socket silent = routerSocket()) {
      long opened = System.nanoTime();
      assertThat(silent.getInputStream().read()).as("a connection that never sends a request").isEqualTo(-1);
      assertThat(Duration.ofNanos(System.nanoTime() - opened)).isGreaterThan(Duration.ofMillis(500));
    }
  }

  @Test
  void aConnectionWhoseRequestTakesLongerThanTheIdleTimeoutStaysOpen() throws Exception {
    try (Socket socket = routerSocket()) {
      OutputStream out = socket.getOutputStream();
      out.write(request("GET", "/slow", "echo", null, false)); // 3 s, three idle timeouts
      assertThat(response(socket.getInputStream())).startsWith("HTTP/1.1 200").endsWith("late");
      out.write(request("GET", "/next", "echo", null, false));
      assertThat(response(socket.getInputStream())).startsWith("HTTP/1.1 200");
    }
  }

  /** One request on a connection of its own, which closes after the answer; the whole answer. */
  private static String call(String method, String path, String backend, String body) throws IOException {
    try (Socket socket = routerSocket()) {
      socket.getOutputStream().write(request(method, path, backend, body, true));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Socket routerSocket() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.routerPort().orElseThrow());
    socket.setSoTimeout(20_000);
    return socket;
  }

  private static byte[] request(String method, String path, String backend, String body, boolean close) {
    return (method + " " + path + " HTTP/1.1\r\nHost: router.test\r\nx-backend: " + backend + "\r\n"
        + (close ? "Connection: close\r\n" : "") + (body == null ? "" : "Content-Length: " + body.length() + "\r\n")
        + "\r\n" + (body == null ? "" : body)).getBytes(StandardCharsets.US_ASCII);
  }

  /** One answer read off a kept-alive connection: its head and the Content-Length bytes of its body. */
  private static String response(InputStream in) throws IOException {
    String head = ClosingUpstream.head(in);
    assertThat(head).as("an answer before the connection closed").isNotNull();
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  /**
   * A backend over plain sockets that answers the first request on each connection, keeping it
   * alive, and closes the connection, unanswered, when the next one arrives on it.
   */
  private static final class ClosingUpstream implements AutoCloseable {
    /** What it read, in order: "METHOD path", with " unanswered" when it closed instead of answering. */
    final List<String> seen = new CopyOnWriteArrayList<>();
    private final ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    private final ExecutorService threads = Executors.newCachedThreadPool();

    ClosingUpstream() throws IOException {
      threads.execute(() -> {
        while (!server.isClosed()) {
          try {
            Socket connection = server.accept();
            threads.execute(() -> serve(connection));
          } catch (IOException closed) {
            return;
          }
        }
      });
    }

    String url() {
      return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void serve(Socket connection) {
      try (connection) {
        InputStream in = connection.getInputStream();
        for (int served = 0; ; served++) {
          String head = head(in);
          if (head == null) {
            return;
          }
          String[] line = head.substring(0, head.indexOf("\r\n")).split(" ");
          in.readNBytes(contentLength(head));
          if (served > 0) {
            seen.add(line[0] + " " + line[1] + " unanswered");
            return;
          }
          seen.add(line[0] + " " + line[1]);
          byte[] body = (line[0] + " " + line[1]).getBytes(StandardCharsets.UTF_8);
          OutputStream out = connection.getOutputStream();
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          if (!line[0].equals("HEAD")) {
            out.write(body);
          }
          out.flush();
        }
      } catch (IOException gone) {
        // the router closed the connection
      }
    }

    private static int contentLength(String head) {
      for (String header : head.split("\r\n")) {
        if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          return Integer.parseInt(header.substring(header.indexOf(':') + 1).trim());
        }
      }
      return 0;
    }

    /** A message's head up to its blank line; null when the connection ends first. */
    static String head(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int last4 = 0;
      for (int b; (b = in.read()) != -1; ) {
        head.write(b);
        last4 = last4 << 8 | b;
        if (last4 == 0x0d0a0d0a) {
          return head.toString(StandardCharsets.US_ASCII);
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      server.close();
      threads.shutdownNow();
    }
  }
}
