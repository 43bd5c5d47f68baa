package io.lakeshard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Deltas as JSON lines (one JSON object per line, as {@code pull} prints them; blank lines are
 * skipped), read in batches of at most {@code maxDeltas} deltas and {@code maxBytes} of JSON, so
 * that each batch is one push under the node's body limit. A line that is not one JSON object
 * stops the read with its line number.
 */
final class DeltaLines {
  private static final ObjectReader OBJECTS = Api.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One push's deltas, each as the JSON text of its line, and the first one's clientId. */
  record Batch(List<String> deltas, Optional<String> firstClientId, long bytes) {}

  private final BufferedReader lines;
  private final Counted counted;
  private final String source;
  private final int maxDeltas;
  private final long maxBytes;
  private long lineNumber;
  private Line pending;

  /** One delta: its line's text, its size in UTF-8, and the clientId it names. */
  private record Line(String text, int bytes, Optional<String> clientId) {}

  DeltaLines(InputStream in, String source, int maxDeltas, long maxBytes) {
    this.counted = new Counted(in);
    this.lines = new BufferedReader(new InputStreamReader(counted, StandardCharsets.UTF_8));
    this.source = source;
    this.maxDeltas = maxDeltas;
    this.maxBytes = maxBytes;
  }

  /** The next batch; empty at the end of the input. */
  Optional<Batch> next() {
    List<String> deltas = new ArrayList<>();
    Optional<String> firstClientId = Optional.empty();
    long bytes = 0;
    while (deltas.size() < maxDeltas) {
      Line delta = pending != null ? pending : readDelta();
      pending = null;
      if (delta == null) {
        break;
      }
      if (!deltas.isEmpty() && bytes + delta.bytes() + 1 > maxBytes) {
        pending = delta; // the next batch's first
        break;
      }
      if (deltas.isEmpty()) {
        firstClientId = delta.clientId();
      }
      deltas.add(delta.text());
      bytes += delta.bytes() + 1;
    }
    return deltas.isEmpty() ? Optional.empty() : Optional.of(new Batch(deltas, firstClientId, bytes));
  }

  /** Bytes of the input read so far (ahead of the deltas handed out by at most a buffer). */
  long bytesRead() {
    return counted.count;
  }

  private Line readDelta() {
    try {
      String line;
      while ((line = lines.readLine()) != null) {
        lineNumber++;
        line = line.strip();
        if (line.isEmpty()) {
          continue;
        }
        JsonNode delta;
        try {
          delta = OBJECTS.readTree(line);
        } catch (JsonProcessingException e) {
          throw CliError.usage(source + " line " + lineNumber + " is not JSON: " + e.getOriginalMessage());
        }
        if (!delta.isObject()) {
          throw CliError.usage(source + " line " + lineNumber + " is not a JSON object (a delta)");
        }
        JsonNode clientId = delta.path("clientId");
        return new Line(line, line.getBytes(StandardCharsets.UTF_8).length,
            clientId.isTextual() ? Optional.of(clientId.asText()) : Optional.empty());
      }
      return null;
    } catch (IOException e) {
      throw CliError.usage("cannot read " + source + ": " + e.getMessage());
    }
  }

  private static final class Counted extends FilterInputStream {
    private long count;

    Counted(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int read = super.read();
      if (read >= 0) {
        count++;
      }
      return read;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int read = super.read(buffer, offset, length);
      if (read > 0) {
        count += read;
      }
      return read;
    }
  }
}
