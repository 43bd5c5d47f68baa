package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.assertStreamError;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.node.auth.JwtAuth;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Stream auth over real HTTP: open by default; a static token for writes and a session-bound JWT for reads when configured. */
class StreamAuthHttpTest extends NodeTestBase {
  private static final String WRITE_TOKEN = "stream-write-token-for-tests";
  private final NodeHttp http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(15));

  private static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  private static String readToken(String sessionId) {
    return JwtAuth.signStreamReader(TestNode.SECRET, sessionId, Duration.ofMinutes(10), Clock.systemUTC());
  }

  private void restartWithStreamAuth() {
    node.stop().toCompletableFuture().join();
    node = TestNode.start(dataDir, Map.of(
        "lakeshard.stream.auth.write-token", WRITE_TOKEN,
        "lakeshard.stream.auth.read-jwt", true));
  }

  @Test
  void streamsAreOpenByDefault() throws Exception {
    assertThat(http.send("PUT", "/v1/stream/session:abc", "text/plain", "hi").statusCode()).isEqualTo(201);
    assertThat(http.send("POST", "/v1/stream/session:abc", "text/plain", "!").statusCode()).isEqualTo(204);
    assertThat(http.send("GET", "/v1/stream/session:abc?offset=-1", null, null).body()).isEqualTo("hi!");
    assertThat(http.send("DELETE", "/v1/stream/session:abc", null, null).statusCode()).isEqualTo(204);
  }

  @Test
  void writesNeedTheWriteToken() throws Exception {
    restartWithStreamAuth();
    assertStreamError(http.send("PUT", "/v1/stream/guarded", "text/plain", null), 401, "UNAUTHORIZED");
    assertStreamError(http.send("PUT", "/v1/stream/guarded", "text/plain", null, bearer("not-the-token")), 401, "UNAUTHORIZED");
    assertStreamError(http.send("PUT", "/v1/stream/guarded", "text/plain", null, bearer(readToken("abc"))), 401,
        "UNAUTHORIZED");
    assertThat(http.send("PUT", "/v1/stream/guarded", "text/plain", null, bearer(WRITE_TOKEN)).statusCode())
        .isEqualTo(201);

    assertStreamError(http.send("POST", "/v1/stream/guarded", "text/plain", "x"), 401, "UNAUTHORIZED");
    assertStreamError(http.send("POST", "/v1/stream/guarded", "text/plain", "x", bearer(WRITE_TOKEN + "x")), 401,
        "UNAUTHORIZED");
    assertThat(http.send("POST", "/v1/stream/guarded", "text/plain", "x", bearer(WRITE_TOKEN)).statusCode())
        .isEqualTo(204);

    assertStreamError(http.send("DELETE", "/v1/stream/guarded", null, null), 401, "UNAUTHORIZED");
    assertThat(http.send("GET", "/v1/stream/guarded?offset=-1", null, null, bearer(readToken("any"))).body())
        .as("nothing refused was written or deleted").isEqualTo("x");
    assertThat(http.send("DELETE", "/v1/stream/guarded", null, null, bearer(WRITE_TOKEN)).statusCode()).isEqualTo(204);
    // A browser's preflight carries no credentials.
    assertThat(http.send("OPTIONS", "/v1/stream/guarded", null, null).statusCode()).isEqualTo(204);
  }

  @Test
  @Timeout(60)
  void readsOfASessionStreamNeedATokenForThatSession() throws Exception {
    restartWithStreamAuth();
    http.send("PUT", "/v1/stream/session:abc", "text/plain", "secret", bearer(WRITE_TOKEN));
    http.send("PUT", "/v1/stream/shared", "text/plain", "public", bearer(WRITE_TOKEN));

    HttpResponse<String> own = http.send("GET", "/v1/stream/session:abc?offset=-1", null, null, bearer(readToken("abc")));
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.body()).isEqualTo("secret");
    assertStreamError(http.send("GET", "/v1/stream/session:abc?offset=-1", null, null, bearer(readToken("xyz"))), 403,
        "FORBIDDEN");
    assertStreamError(http.send("GET", "/v1/stream/session:abc?offset=-1", null, null), 401, "UNAUTHORIZED");
    assertStreamError(http.send("GET", "/v1/stream/session:abc?offset=-1", null, null,
        bearer(JwtAuth.signStreamReader("another-secret-that-is-also-32-bytes-long", "abc", Duration.ofMinutes(1),
            Clock.systemUTC()))), 401, "UNAUTHORIZED");
    assertStreamError(http.send("GET", "/v1/stream/session:abc?offset=-1", null, null, bearer(TestNode.token("c", "g"))), 403,
        "FORBIDDEN");
    assertThat(http.send("HEAD", "/v1/stream/session:abc", null, null, bearer(readToken("xyz"))).statusCode())
        .isEqualTo(403);
    assertStreamError(http.send("GET", "/v1/stream/session:abc?offset=-1&live=long-poll", null, null, bearer(readToken("xyz"))),
        403, "FORBIDDEN");
    assertStreamError(http.send("GET", "/v1/stream/session:abc?offset=-1&live=sse", null, null), 401, "UNAUTHORIZED");
    try (NodeHttp.SseLines events = http.sse("/v1/stream/session:abc?offset=-1&live=sse", bearer(readToken("abc")))) {
      assertThat(events.readUntil(line -> line.startsWith("data:"))).contains("data:secret");
    }

    // Other streams need just a valid token.
    assertThat(http.send("GET", "/v1/stream/shared?offset=-1", null, null, bearer(readToken("xyz"))).body())
        .isEqualTo("public");
    assertThat(http.send("GET", "/v1/stream/shared?offset=-1", null, null, bearer(TestNode.token("c", "g"))).statusCode())
        .isEqualTo(200);
    assertStreamError(http.send("GET", "/v1/stream/shared?offset=-1", null, null), 401, "UNAUTHORIZED");
  }
}
