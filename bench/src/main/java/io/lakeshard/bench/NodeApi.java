package io.lakeshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;

/** The node's routes the scenarios set up and check with: WebSocket URLs with a client token, and the admin API. */
final class NodeApi {
  private final Workload workload;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();

  NodeApi(Workload workload, HttpClient http) {
    this.workload = workload;
    this.http = http;
  }

  URI wsUri(String base, String gateway, String clientId) {
    String token = workload.token(clientId, gateway, false);
    return URI.create(base.replaceFirst("^http", "ws") + "/v1/sync/" + gateway + "/ws?token="
        + URLEncoder.encode(token, StandardCharsets.UTF_8));
  }

  JsonNode metrics(String base, String gateway) {
    return admin(base, "GET", "/v1/admin/metrics/" + gateway, null, gateway);
  }

  JsonNode admin(String base, String method, String path, String body, String gateway) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + workload.token("bench-admin", gateway, true))
        .timeout(Duration.ofSeconds(60));
    if (method.equals("POST")) {
      request.header("Content-Type", "application/json")
          .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    } else {
      request.GET();
    }
    try {
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(method + " " + path + ": HTTP " + response.statusCode() + " "
            + new String(response.body(), StandardCharsets.UTF_8));
      }
      return json.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The answer of a request that must succeed (HTTP 200), as {@code items} done now; else the failure. */
  static Load.Done ok(HttpResponse<byte[]> response, long items) {
    long now = System.nanoTime();
    if (response.statusCode() != 200) {
      String body = new String(response.body(), StandardCharsets.UTF_8);
      throw new CompletionException(new IOException("HTTP " + response.statusCode() + " "
          + body.substring(0, Math.min(100, body.length()))));
    }
    return new Load.Done(items, now);
  }
}
