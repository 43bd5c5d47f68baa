package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of a node's {@code /metrics} (management port), its samples parsed, and promtool's verdict on it. */
record PrometheusScrape(String text, List<Sample> samples) {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  record Sample(String name, Map<String, String> labels, double value) {}

  static PrometheusScrape of(int managementPort) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
            .timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
        assertThat(type).startsWith("text/plain").contains("version=0.0.4"));
    return parse(response.body());
  }

  static PrometheusScrape parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      assertThat(sample.matches()).as("a sample line: " + line).isTrue();
      Map<String, String> labels = new LinkedHashMap<>();
      if (sample.group(2) != null) {
        Matcher label = LABEL.matcher(sample.group(2));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(3))));
    }
    return new PrometheusScrape(text, samples);
  }

  /** The value of the one sample named {@code name} whose labels include {@code labels} (name, value pairs). */
  double value(String name, String... labels) {
    List<Sample> matching = samples.stream()
        .filter(sample -> sample.name().equals(name))
        .filter(sample -> {
          for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(sample.labels().get(labels[i]))) {
              return false;
            }
          }
          return true;
        })
        .toList();
    assertThat(matching).as(name + " " + List.of(labels)).hasSize(1);
    return matching.get(0).value();
  }

  /**
   * {@code promtool check metrics} on this scrape (the Debian package prometheus; scripts/test
   * installs it): its exit code and output. Missing promtool fails the test, never skips it.
   */
  PromtoolResult promtool() throws IOException, InterruptedException {
    Path input = Files.createTempFile("scrape", ".prom");
    try {
      Files.writeString(input, text, StandardCharsets.UTF_8);
      Process process;
      try {
        process = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true)
            .redirectInput(input.toFile()).start();
      } catch (IOException notFound) {
        throw new AssertionError("promtool is not installed: apt-get install prometheus (scripts/test installs it)",
            notFound);
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("promtool ends").isTrue();
      return new PromtoolResult(process.exitValue(), output);
    } finally {
      Files.deleteIfExists(input);
    }
  }

  record PromtoolResult(int exitCode, String output) {}
}
