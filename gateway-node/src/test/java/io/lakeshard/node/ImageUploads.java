package io.lakeshard.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;

/** Uploads to a node's {@code /api/upload-image} as Work Squared's clients send them, and images to send. */
final class ImageUploads {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BOUNDARY = "----lakeshard-test-boundary-7d1f";

  /** The first bytes of each format (what the node tells them by), keyed by the extension a key gets. */
  static final Map<String, byte[]> SIGNATURES = Map.of(
      "jpg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0},
      "png", new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
      "webp", new byte[] {'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' '},
      "gif", "GIF89a".getBytes(StandardCharsets.US_ASCII));

  static final Map<String, String> CONTENT_TYPES = Map.of(
      "jpg", "image/jpeg", "png", "image/png", "webp", "image/webp", "gif", "image/gif");

  private final NodeHttp http;

  ImageUploads(NodeHttp http) {
    this.http = http;
  }

  /** {@code size} bytes of the format {@code extension}: its signature, then every byte value in a seeded order. */
  static byte[] image(String extension, int size) {
    byte[] image = new byte[size];
    new Random(size).nextBytes(image);
    byte[] signature = SIGNATURES.get(extension);
    System.arraycopy(signature, 0, image, 0, signature.length);
    return image;
  }

  /** A workspace token of {@code userId} (member of one workspace) expiring at {@code exp}. */
  static String token(String userId, Instant exp) {
    return WorkspaceJwts.hs256(TestNode.SECRET, WorkspaceJwts.claims(userId, WorkspaceJwts.member("ws-1"), 0, exp).build());
  }

  static String token(String userId) {
    return token(userId, Instant.now().plus(Duration.ofMinutes(15)));
  }

  /** A multipart form with the field {@code field} holding {@code data} as {@code filename} of {@code declaredType}. */
  static byte[] form(String field, String filename, String declaredType, byte[] data) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot the file\r\n")
        .getBytes(StandardCharsets.UTF_8));
    body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\""
        + filename + "\"\r\nContent-Type: " + declaredType + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(data);
    body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return body.toByteArray();
  }

  /** POSTs {@code form} (from {@link #form}) with {@code token} as bearer unless null. */
  HttpResponse<String> uploadForm(String token, byte[] form) throws IOException, InterruptedException {
    return upload(token, "multipart/form-data; boundary=" + BOUNDARY, form);
  }

  HttpResponse<String> upload(String token, String contentType, byte[] body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(http.uri("/api/upload-image")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** GETs an image by the URL an upload answered. */
  HttpResponse<byte[]> read(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }
}
