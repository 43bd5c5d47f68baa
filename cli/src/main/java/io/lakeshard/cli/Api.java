package io.lakeshard.cli;

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
import java.util.Optional;

/**
 * One node's HTTP API through the JDK's client: requests carry the bearer token, a 4xx answer is
 * a {@link CliError#refused}, a 5xx, a failed connection or a timeout a {@link CliError#unavailable},
 * each described in one line from the answer's error body (LakeSync's {@code {error, code}},
 * Durable Streams' {@code {error: CODE, message}}, or text).
 */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ERROR_CHARS = 300;

  private final HttpClient http;
  private final String base;
  private final Optional<String> token;
  private final Duration timeout;

  Api(String base, Optional<String> token, Duration timeout) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** A request to {@code pathAndQuery} (already encoded) with the token and the usual timeout. */
  HttpRequest.Builder request(String pathAndQuery) {
    return request(pathAndQuery, timeout);
  }

  /** As {@link #request(String)}, waiting up to {@code wait} for the answer (long-poll reads). */
  HttpRequest.Builder request(String pathAndQuery, Duration wait) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(wait);
    token.ifPresent(value -> request.header("Authorization", "Bearer " + value));
    return request;
  }

  Duration timeout() {
    return timeout;
  }

  /** The answer, when it is 2xx or 3xx. */
  HttpResponse<byte[]> send(HttpRequest.Builder builder) {
    HttpRequest request = builder.build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw CliError.unavailable(request.method() + " " + request.uri() + ": " + reason(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliError.unavailable(request.method() + " " + request.uri() + ": interrupted");
    }
    int status = response.statusCode();
    if (status >= 500) {
      throw CliError.unavailable(describe(response), response.headers().firstValue("Retry-After")
          .flatMap(Api::seconds).map(Duration::ofSeconds));
    }
    if (status >= 400) {
      throw CliError.refused(describe(response));
    }
    return response;
  }

  /** A 2xx answer's JSON body. */
  JsonNode json(HttpRequest.Builder builder) {
    return parse(send(builder));
  }

  static JsonNode parse(HttpResponse<byte[]> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw CliError.unavailable(response.request().uri() + " answered " + response.statusCode()
          + " with a body that is not JSON");
    }
  }

  /** Waits before asking again (a follow's poll interval, a server's Retry-After). */
  static void pause(Duration wait) {
    try {
      Thread.sleep(Math.max(1, wait.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliError.unavailable("interrupted");
    }
  }

  /** One path segment, percent-encoded. */
  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A JSON value as one line of text. */
  static String line(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException(e); // a tree read by Jackson always writes
    }
  }

  /** {@code 401 AUTH_ERROR: missing bearer token}, from whichever error body the route answers. */
  private static String describe(HttpResponse<byte[]> response) {
    String text = new String(response.body(), StandardCharsets.UTF_8).strip();
    String detail = text;
    try {
      JsonNode body = JSON.readTree(text);
      if (body != null && body.isObject() && body.path("error").isTextual()) {
        String error = body.get("error").asText();
        if (body.path("code").isTextual()) {
          detail = body.get("code").asText() + ": " + error;
        } else if (body.path("message").isTextual()) {
          detail = error + ": " + body.get("message").asText();
        } else {
          detail = error;
        }
      }
    } catch (IOException notJson) {
      // a text answer (LiveStore's "CODE: message"): as it is
    }
    detail = detail.replaceAll("\\s+", " ");
    if (detail.length() > MAX_ERROR_CHARS) {
      detail = detail.substring(0, MAX_ERROR_CHARS) + "…";
    }
    return response.statusCode() + (detail.isEmpty() ? "" : " " + detail) + " (" + response.request().method()
        + " " + response.request().uri().getPath() + ")";
  }

  private static String reason(IOException e) {
    if (e instanceof java.net.http.HttpTimeoutException) {
      return "no answer in time";
    }
    if (e instanceof java.net.ConnectException) {
      return "cannot connect (is a node running there?)";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static Optional<Long> seconds(String value) {
    try {
      return Optional.of(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
