package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Work Squared's image routes on a real node in workspace mode, on the embedded (local folder) lake. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ImageRoutesTest {
  private static final int FIVE_MIB = 5 * 1024 * 1024;

  @TempDir static Path dataDir;
  private LakeshardNode node;
  private NodeHttp http;
  private ImageUploads images;

  @BeforeAll
  void startNode() {
    node = TestNode.start(dataDir, Map.of(
        "lakeshard.workspace.auth", "on",
        "lakeshard.workspace.grace", "1h"));
    http = new NodeHttp(() -> node.httpPort(), Duration.ofSeconds(30));
    images = new ImageUploads(http);
  }

  @AfterAll
  void stopNode() {
    node.stop().toCompletableFuture().join();
  }

  @ParameterizedTest
  @ValueSource(strings = {"jpg", "png", "webp", "gif"})
  void anUploadedImageIsReadBackByteForByteWithItsType(String extension) throws Exception {
    byte[] image = ImageUploads.image(extension, 300_000);
    // Declared as something else, named something else: the content decides.
    HttpResponse<String> uploaded = images.uploadForm(ImageUploads.token("alice"),
        ImageUploads.form("file", "cover.bin", "application/octet-stream", image));

    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
    JsonNode body = ImageUploads.json(uploaded);
    String key = body.get("key").asText();
    assertThat(key).matches("covers/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\\." + extension);
    assertThat(body.get("url").asText()).isEqualTo("http://127.0.0.1:" + node.httpPort() + "/api/images/" + key);
    assertThat(Files.readAllBytes(dataDir.resolve("lake").resolve(key))).as("in the lake folder").isEqualTo(image);

    HttpResponse<byte[]> read = images.read(body.get("url").asText());
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).isEqualTo(image);
    assertThat(read.headers().firstValue("Content-Type")).hasValue(ImageUploads.CONTENT_TYPES.get(extension));
    assertThat(read.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
    assertThat(read.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(read.headers().firstValue("Access-Control-Allow-Origin")).as("public, from any page").hasValue("*");
  }

  @Test
  void theRawImageAsTheBodyIsAnUploadToo() throws Exception {
    byte[] image = ImageUploads.image("png", 1000);
    HttpResponse<String> uploaded = images.upload(ImageUploads.token("alice"), "image/png", image);

    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
    assertThat(images.read(ImageUploads.json(uploaded).get("url").asText()).body()).isEqualTo(image);
  }

  @Test
  void aFileThatIsNoImageIsRefusedWhateverItClaims() throws Exception {
    int before = storedCovers().size();
    byte[] script = "<svg onload=alert(1)>".getBytes(StandardCharsets.UTF_8);
    assertError(images.uploadForm(ImageUploads.token("alice"), ImageUploads.form("file", "cover.png", "image/png", script)),
        415, "INVALID_FILE");
    assertError(images.upload(ImageUploads.token("alice"), "image/jpeg", script), 415, "INVALID_FILE");
    // A signature cut short is no image either.
    assertError(images.upload(ImageUploads.token("alice"), "image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G'}),
        415, "INVALID_FILE");
    assertThat(storedCovers()).as("nothing stored").hasSize(before);
  }

  @Test
  void aFormWithoutAFileFieldOrAnEmptyBodyIsNoFileAndABrokenFormIsRefused() throws Exception {
    assertError(images.uploadForm(ImageUploads.token("alice"),
        ImageUploads.form("image", "cover.png", "image/png", ImageUploads.image("png", 100))), 400, "NO_FILE");
    assertError(images.upload(ImageUploads.token("alice"), "image/png", new byte[0]), 400, "NO_FILE");
    assertError(images.upload(ImageUploads.token("alice"), "multipart/form-data", ImageUploads.image("png", 100)),
        400, "VALIDATION_ERROR");
  }

  @Test
  void anImageOverFiveMegabytesIsRefused() throws Exception {
    int before = storedCovers().size();
    byte[] justOver = ImageUploads.image("png", FIVE_MIB + 1);
    // In a form (within the room the form's framing gets) and as the body.
    assertError(images.uploadForm(ImageUploads.token("alice"), ImageUploads.form("file", "big.png", "image/png", justOver)),
        413, "VALIDATION_ERROR");
    assertError(images.upload(ImageUploads.token("alice"), "image/png", justOver), 413, "VALIDATION_ERROR");
    // Far over: refused on its declared length, its bytes dropped as they come rather than buffered.
    assertError(images.upload(ImageUploads.token("alice"), "image/png", ImageUploads.image("png", 3 * FIVE_MIB)),
        413, "VALIDATION_ERROR");
    assertThat(storedCovers()).hasSize(before);

    byte[] exactly = ImageUploads.image("png", FIVE_MIB);
    HttpResponse<String> uploaded = images.uploadForm(ImageUploads.token("alice"),
        ImageUploads.form("file", "max.png", "image/png", exactly));
    assertThat(uploaded.statusCode()).as("5 MiB itself passes: " + uploaded.body()).isEqualTo(200);
    assertThat(images.read(ImageUploads.json(uploaded).get("url").asText()).body()).isEqualTo(exactly);
  }

  @Test
  void uploadsNeedAValidWorkspaceTokenWithinItsGrace() throws Exception {
    int before = storedCovers().size();
    byte[] form = ImageUploads.form("file", "cover.png", "image/png", ImageUploads.image("png", 100));
    assertError(images.uploadForm(null, form), 401, "TOKEN_MISSING");
    assertError(images.uploadForm("not-a-jwt", form), 401, "TOKEN_INVALID");
    String wrongKey = WorkspaceJwts.hs256("another-secret-that-is-at-least-32-bytes",
        WorkspaceJwts.claims("mallory", WorkspaceJwts.member("ws-1"), 0, Instant.now().plusSeconds(600)).build());
    assertError(images.uploadForm(wrongKey, form), 401, "TOKEN_INVALID");
    assertError(images.uploadForm(WorkspaceJwts.none(
        WorkspaceJwts.claims("mallory", WorkspaceJwts.member("ws-1"), 0, Instant.now().plusSeconds(600)).build()), form),
        401, "TOKEN_INVALID");
    assertError(images.uploadForm(ImageUploads.token("bob", Instant.now().minus(Duration.ofHours(2))), form),
        401, "GRACE_PERIOD_EXPIRED");
    assertThat(storedCovers()).as("nothing stored").hasSize(before);

    HttpResponse<String> withinGrace = images.uploadForm(
        ImageUploads.token("bob", Instant.now().minus(Duration.ofMinutes(30))), form);
    assertThat(withinGrace.statusCode()).as("expired 30 min ago, grace 1 h: " + withinGrace.body()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/api/images/covers/../../journal.mv.db",
      "/api/images/covers/%2e%2e/%2e%2e/journal.png",
      "/api/images/covers/..%2f..%2fjournal.png",
      "/api/images/..%2Fjournal.png",
      "/api/images//etc/passwd.png",
      "/api/images/%2Fetc%2Fpasswd.png",
      "/api/images/covers%5c..%5cjournal.png",
      "/api/images/covers/a/b.png",
      "/api/images/covers/.png",
      "/api/images/covers/x.svg",
      "/api/images/x.png",
      "/api/images/"})
  void aKeyThatIsNotOneNameUnderCoversIsRefusedBeforeTheStore(String path) throws Exception {
    String answer = rawGet(path);
    assertThat(answer).as(path).startsWith("HTTP/1.1 400").contains("\"code\":\"INVALID_KEY\"");
  }

  @Test
  void aBackslashInTheTargetIsRefusedByTheServerItself() throws Exception {
    assertThat(rawGet("/api/images/covers\\..\\..\\journal.png")).startsWith("HTTP/1.1 400");
  }

  @Test
  void aMissingImageIs404Json() throws Exception {
    HttpResponse<String> missing = http.get("/api/images/covers/00000000-0000-4000-8000-000000000000.png", null);
    assertError(missing, 404, "NOT_FOUND");
    assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/json");
  }

  @Test
  void browsersMayUploadFromAnyPage() throws Exception {
    HttpResponse<String> preflight = http.send("OPTIONS", "/api/upload-image", null, null,
        "Origin", "https://app.example", "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "authorization");
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElseThrow()).contains("Authorization");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods").orElseThrow()).contains("POST");

    HttpResponse<String> refused = http.send("POST", "/api/upload-image", "image/png", "x", "Origin", "https://app.example");
    assertError(refused, 401, "TOKEN_MISSING");
    assertThat(refused.headers().firstValue("Access-Control-Allow-Origin")).as("the error readable by the page")
        .hasValue("https://app.example");
  }

  @Test
  void otherMethodsAreRefusedAsJson() throws Exception {
    assertError(http.get("/api/upload-image", null), 405, "METHOD_NOT_ALLOWED");
  }

  @Test
  void withoutWorkspaceModeThereAreNoImageRoutes(@TempDir Path otherDir) throws Exception {
    LakeshardNode plain = TestNode.start(otherDir);
    try {
      NodeHttp plainHttp = new NodeHttp(plain::httpPort, Duration.ofSeconds(30));
      assertError(new ImageUploads(plainHttp).upload(ImageUploads.token("alice"), "image/png",
          ImageUploads.image("png", 100)), 404, "NOT_FOUND");
      assertError(plainHttp.get("/api/images/covers/00000000-0000-4000-8000-000000000000.png", null), 404, "NOT_FOUND");
    } finally {
      plain.stop().toCompletableFuture().join();
    }
  }

  private List<Path> storedCovers() throws IOException {
    Path covers = dataDir.resolve("lake").resolve("covers");
    if (!Files.isDirectory(covers)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(covers)) {
      return files.toList();
    }
  }

  /** A GET of {@code path} exactly as written (no client normalises or encodes it); the whole answer. */
  private String rawGet(String path) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", node.httpPort()), 5000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
