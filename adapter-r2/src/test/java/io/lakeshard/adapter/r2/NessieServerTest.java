package io.lakeshard.adapter.r2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Nessie fixture starts a real server that serves the v2 API on 127.0.0.1. */
class NessieServerTest {

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS) // start waits at most 60 s, close at most 10 s
  void servesTheV2ConfigWithMainAsTheDefaultBranch() throws Exception {
    try (NessieServer server = NessieServer.start(Files.createDirectories(Path.of("target", "nessie")))) {
      assertThat(server.uri()).startsWith("http://127.0.0.1:").endsWith("/api/v2");

      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(URI.create(server.uri() + "/config")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode config = new ObjectMapper().readTree(response.body());
      assertThat(config.path("defaultBranch").asText()).isEqualTo("main");
    }
  }
}
