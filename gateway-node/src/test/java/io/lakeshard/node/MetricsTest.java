package io.lakeshard.node;

import static io.lakeshard.node.NodeHttp.delta;
import static io.lakeshard.node.NodeHttp.hlcNow;
import static io.lakeshard.node.NodeHttp.push;
import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} on a real node's management port: real pushes over HTTP and WebSocket, stream
 * appends and a flush move the counters by exactly what was done, no label carries an entity id,
 * and promtool accepts the scrape.
 */
class MetricsTest {
  /** Ids no metric name or fixed label contains: a scrape that shows them leaks an entity id. */
  private static final String GATEWAY = "gw-7f3a91";
  private static final String STREAM = "st-9c1e27";

  @TempDir Path dataDir;
  private LakeshardNode node;
  private NodeHttp http;

  @AfterEach
  void stopNode() throws Exception {
    if (node != null) {
      node.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void pushesAppendsAndAFlushMoveTheirMetersAndTheScrapePassesPromtool() throws Exception {
    // Only the admin route flushes (the age alarm would add flushes of its own); a first flush
    // creates the catalogue's table, which takes long on a loaded machine.
    node = TestNode.start(dataDir, Map.of("lakeshard.gateway.flush.max-buffer-age", "1h",
        "lakeshard.http.ask-timeout", "60s"));
    http = new NodeHttp(node::httpPort, Duration.ofSeconds(20));
    PrometheusScrape before = PrometheusScrape.of(node.managementPort());

    String token = TestNode.token("alice", GATEWAY);
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> pushed = http.post("/v1/sync/" + GATEWAY + "/push", token, push("alice", List.of(
          delta("INSERT", "todos", "alice", "h" + i + "a", hlcNow(2 * i), "[{\"column\":\"t\",\"value\":\"x\"}]"),
          delta("INSERT", "todos", "alice", "h" + i + "b", hlcNow(2 * i + 1), "[{\"column\":\"t\",\"value\":\"y\"}]"))));
      assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
    }
    assertThat(http.get("/v1/sync/" + GATEWAY + "/pull?since=0", token).statusCode()).isEqualTo(200);

    TestWebSocketClient socket = TestWebSocketClient.connect(node.httpPort(), GATEWAY, "bob");
    for (int i = 0; i < 2; i++) {
      socket.send(Frames.encodePush(SyncPush.newBuilder().setClientId("bob").addDeltas(RowDelta.newBuilder()
          .setOp(DeltaOp.DELTA_OP_INSERT).setTable("todos").setRowId("w" + i).setClientId("bob")
          .setHlc(HybridClock.encode(System.currentTimeMillis(), i))).build()));
      assertThat(SyncResponse.parseFrom(socket.next()).getServerHlc()).isPositive();
    }
    PrometheusScrape open = PrometheusScrape.of(node.managementPort());
    assertThat(open.value("lakeshard_websocket_sessions", "family", "sync")).as("the open session").isEqualTo(1);

    assertThat(http.send("PUT", "/v1/stream/" + STREAM, "text/plain", null).statusCode()).isEqualTo(201);
    String[] appends = {"one", "two", "three", "four"};
    for (String body : appends) {
      assertThat(http.send("POST", "/v1/stream/" + STREAM, "text/plain", body).statusCode()).isEqualTo(204);
    }
    HttpResponse<String> flushed = http.post("/v1/admin/flush/" + GATEWAY, TestNode.adminToken("ops", GATEWAY), "");
    assertThat(flushed.statusCode()).as(flushed.body()).isEqualTo(200);

    PrometheusScrape after = PrometheusScrape.of(node.managementPort());
    assertThat(moved(before, after, "lakeshard_sync_requests_seconds_count",
        "op", "push", "transport", "http", "outcome", "ok")).isEqualTo(3);
    assertThat(moved(before, after, "lakeshard_sync_requests_seconds_count",
        "op", "push", "transport", "ws", "outcome", "ok")).isEqualTo(2);
    assertThat(moved(before, after, "lakeshard_sync_requests_seconds_count",
        "op", "pull", "transport", "http", "outcome", "ok")).isEqualTo(1);
    assertThat(moved(before, after, "lakeshard_sync_deltas_total", "transport", "http")).isEqualTo(6);
    assertThat(moved(before, after, "lakeshard_sync_deltas_total", "transport", "ws")).isEqualTo(2);
    assertThat(moved(before, after, "lakeshard_sync_backpressure_total")).isZero();
    // Every push is in exactly one group commit, however the pushes were grouped.
    assertThat(moved(before, after, "lakeshard_gateway_journal_group_pushes_sum")).isEqualTo(5);
    assertThat(moved(before, after, "lakeshard_gateway_journal_write_seconds_count")).isBetween(1.0, 5.0);
    assertThat(moved(before, after, "lakeshard_stream_requests_seconds_count",
        "op", "create", "transport", "http", "outcome", "ok")).isEqualTo(1);
    assertThat(moved(before, after, "lakeshard_stream_requests_seconds_count",
        "op", "append", "transport", "http", "outcome", "ok")).isEqualTo(appends.length);
    assertThat(moved(before, after, "lakeshard_stream_appends_total")).isEqualTo(appends.length);
    assertThat(moved(before, after, "lakeshard_stream_appended_bytes_total"))
        .isEqualTo(String.join("", appends).length());
    assertThat(moved(before, after, "lakeshard_gateway_flush_seconds_count")).isEqualTo(1);
    assertThat(moved(before, after, "lakeshard_gateway_flush_rows_total")).isEqualTo(8);
    assertThat(moved(before, after, "lakeshard_gateway_flush_bytes_total")).isPositive();
    assertThat(moved(before, after, "lakeshard_gateway_flush_failures_total")).isZero();
    assertThat(after.value("lakeshard_livestore_flush_failures_total")).as("stores' flush meters").isZero();
    // Heap in use, over all pools (one pool alone, a survivor space, may be empty just after a GC).
    assertThat(after.samples().stream()
        .filter(sample -> sample.name().equals("jvm_memory_used_bytes") && "heap".equals(sample.labels().get("area")))
        .mapToDouble(PrometheusScrape.Sample::value).sum()).isPositive();
    assertThat(after.samples()).anySatisfy(sample -> assertThat(sample.name()).startsWith("jvm_gc_"));

    Await.until("the entity counts polled", Duration.ofSeconds(20), () -> {
      try {
        PrometheusScrape now = PrometheusScrape.of(node.managementPort());
        return now.value("lakeshard_entities", "type", "SyncGateway") == 1
            // the stream, and the streams' own registry entity once a stream is created
            && now.value("lakeshard_entities", "type", "Stream") >= 1;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    socket.socket.sendClose(1000, "done").join();
    Await.until("the WebSocket session's gauge back to 0", Duration.ofSeconds(10), () -> {
      try {
        return PrometheusScrape.of(node.managementPort()).value("lakeshard_websocket_sessions", "family", "sync") == 0;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    PrometheusScrape last = PrometheusScrape.of(node.managementPort());
    assertThat(last.text()).as("no label (or name) carries a gateway or stream id")
        .doesNotContain(GATEWAY).doesNotContain(STREAM);
    PrometheusScrape.PromtoolResult checked = last.promtool();
    assertThat(checked.exitCode()).as(checked.output()).isZero();
  }

  private static double moved(PrometheusScrape before, PrometheusScrape after, String name, String... labels) {
    return after.value(name, labels) - before.value(name, labels);
  }
}
