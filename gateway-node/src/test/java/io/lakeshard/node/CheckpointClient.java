package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.protocol.v1.ColumnDelta;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint download read as LakeSync's client reads it (length-prefixed SyncResponse frames,
 * then {@code X-Checkpoint-Hlc}), and the rows the client holds after applying it and pulled
 * deltas as its applier does: an INSERT is a plain SQL insert (one on a row it holds fails the
 * client's whole page), an UPDATE of a row it lacks changes nothing.
 */
final class CheckpointClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CheckpointClient() {}

  /** A downloaded checkpoint: its X-Checkpoint-Hlc and its frames, decoded. */
  record Download(String hlc, List<SyncResponse> frames) {
    List<RowDelta> deltas() {
      return frames.stream().flatMap(frame -> frame.getDeltasList().stream()).toList();
    }
  }

  static HttpResponse<byte[]> get(NodeHttp http, String gateway, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(http.uri("/v1/sync/" + gateway + "/checkpoint"))
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/x-lakesync-checkpoint-stream")
        .timeout(Duration.ofSeconds(20))
        .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The download to its end; every frame carries the header's HLC and no {@code hasMore}. */
  static Download download(NodeHttp http, String gateway, String token) throws Exception {
    HttpResponse<byte[]> response = get(http, gateway, token);
    assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/x-lakesync-checkpoint-stream");
    String hlc = response.headers().firstValue("X-Checkpoint-Hlc").orElseThrow();
    ByteBuffer body = ByteBuffer.wrap(response.body());
    List<SyncResponse> frames = new ArrayList<>();
    while (body.hasRemaining()) {
      assertThat(body.remaining()).as("a whole length prefix").isGreaterThanOrEqualTo(4);
      int length = body.getInt();
      assertThat(body.remaining()).as("a whole frame").isGreaterThanOrEqualTo(length);
      byte[] frame = new byte[length];
      body.get(frame);
      SyncResponse decoded = SyncResponse.parseFrom(frame);
      assertThat(Long.toUnsignedString(decoded.getServerHlc())).isEqualTo(hlc);
      assertThat(decoded.getHasMore()).isFalse();
      frames.add(decoded);
    }
    return new Download(hlc, frames);
  }

  /** A checkpoint's rows as a client inserts them: table:rowId to its columns as JSON text; each row once, as an INSERT. */
  static Map<String, Map<String, String>> load(List<RowDelta> deltas) throws IOException {
    Map<String, Map<String, String>> rows = new LinkedHashMap<>();
    for (RowDelta delta : deltas) {
      assertThat(delta.getOp()).isEqualTo(DeltaOp.DELTA_OP_INSERT);
      Map<String, String> row = new LinkedHashMap<>();
      for (ColumnDelta column : delta.getColumnsList()) {
        row.put(column.getColumn(), JSON.readTree(column.getValue().toString(StandardCharsets.UTF_8)).toString());
      }
      assertThat(rows.put(delta.getTable() + ":" + delta.getRowId(), row)).as("each row once").isNull();
    }
    return rows;
  }

  /** {@code rows} after the pulled (JSON) deltas, applied in order as LakeSync's client applies them. */
  static Map<String, Map<String, String>> apply(Map<String, Map<String, String>> rows, List<JsonNode> deltas) {
    for (JsonNode delta : deltas) {
      String key = delta.get("table").asText() + ":" + delta.get("rowId").asText();
      switch (delta.get("op").asText()) {
        case "DELETE" -> rows.remove(key);
        case "INSERT" -> {
          assertThat(rows).as("an INSERT of a row the client holds fails its page").doesNotContainKey(key);
          rows.put(key, columns(new LinkedHashMap<>(), delta));
        }
        default -> rows.computeIfPresent(key, (k, row) -> columns(row, delta));
      }
    }
    return rows;
  }

  private static Map<String, String> columns(Map<String, String> row, JsonNode delta) {
    delta.get("columns").forEach(column -> row.put(column.get("column").asText(), column.get("value").toString()));
    return row;
  }
}
