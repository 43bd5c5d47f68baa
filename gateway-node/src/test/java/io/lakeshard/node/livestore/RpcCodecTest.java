package io.lakeshard.node.livestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.eventstore.LiveEvent;
import io.lakeshard.core.eventstore.StoredEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Effect RPC JSON codec against frames as {@code @livestore/sync-cf} 0.4.0's client writes them. */
class RpcCodecTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EVENT =
      "{\"name\":\"v1.TodoCreated\",\"args\":{\"id\":\"a\",\"text\":\"hi\"},\"seqNum\":1,\"parentSeqNum\":0,"
          + "\"clientId\":\"client-a\",\"sessionId\":\"session-1\"}";

  private static RpcFrame decode(String frame, RpcFrames.Transport transport) throws RpcFrames.Malformed {
    return RpcFrames.decode(frame.getBytes(StandardCharsets.UTF_8), transport);
  }

  private static String request(String id, String tag, String payload) {
    return "{\"_tag\":\"Request\",\"id\":\"" + id + "\",\"tag\":\"" + tag + "\",\"payload\":" + payload
        + ",\"traceId\":\"t\",\"spanId\":\"s\",\"sampled\":false,\"headers\":[]}";
  }

  @Test
  void controlMessagesDecode() throws Exception {
    assertThat(decode("{\"_tag\":\"Ping\"}", RpcFrames.Transport.WS)).isEqualTo(new RpcFrame.Ping());
    assertThat(decode("{\"_tag\":\"Ack\",\"requestId\":\"0\"}", RpcFrames.Transport.WS))
        .isEqualTo(new RpcFrame.Ack("0"));
    assertThat(decode("{\"_tag\":\"Interrupt\",\"requestId\":\"1\",\"interruptors\":[]}", RpcFrames.Transport.WS))
        .isEqualTo(new RpcFrame.Interrupt("1"));
  }

  @Test
  void aLivePullWithACursorDecodes() throws Exception {
    RpcFrame frame = decode(request("0", "SyncWsRpc.Pull", "{\"storeId\":\"s\",\"payload\":{\"authToken\":\"t\"},"
        + "\"live\":true,\"cursor\":{\"_tag\":\"Some\",\"value\":{\"backendId\":\"b\",\"eventSequenceNumber\":7}}}"),
        RpcFrames.Transport.WS);
    RpcFrame.Pull pull = (RpcFrame.Pull) frame;
    assertThat(pull.id()).isEqualTo("0");
    assertThat(pull.storeId()).isEqualTo("s");
    assertThat(pull.live()).isTrue();
    assertThat(pull.cursor()).contains(new RpcFrame.Cursor("b", 7));
    assertThat(pull.afterSeqNum()).isEqualTo(7);
    assertThat(pull.payload().orElseThrow().path("authToken").asText()).isEqualTo("t");
  }

  @Test
  void aPushDecodesItsEventsWithArgsAsRawJson() throws Exception {
    RpcFrame.Push push = (RpcFrame.Push) decode(request("1", "SyncWsRpc.Push",
        "{\"storeId\":\"s\",\"batch\":[" + EVENT + "],\"backendId\":{\"_tag\":\"None\"}}"), RpcFrames.Transport.WS);
    assertThat(push.batch()).containsExactly(
        new LiveEvent(1, 0, "v1.TodoCreated", "{\"id\":\"a\",\"text\":\"hi\"}", "client-a", "session-1"));
    assertThat(push.backendId()).isEmpty();
    assertThat(push.payload()).isEmpty();
  }

  @Test
  void httpRequestsDecodeTheirOwnTags() throws Exception {
    assertThat(decode(request("4", "SyncHttpRpc.Ping", "{\"storeId\":\"s\"}"), RpcFrames.Transport.HTTP))
        .isEqualTo(new RpcFrame.HttpPing("4", "s", java.util.Optional.empty()));
    RpcFrame.Pull pull = (RpcFrame.Pull) decode(request("5", "SyncHttpRpc.Pull",
        "{\"storeId\":\"s\",\"cursor\":{\"_tag\":\"None\"}}"), RpcFrames.Transport.HTTP);
    assertThat(pull.live()).isFalse();
    assertThat(decode(request("6", "SyncWsRpc.Pull", "{\"storeId\":\"s\",\"live\":false,\"cursor\":{\"_tag\":\"None\"}}"),
        RpcFrames.Transport.HTTP)).isInstanceOf(RpcFrame.BadRequest.class);
  }

  /** Wrong types and shapes in a request with a known id: answered (BadRequest), never a close. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"storeId\":\"s\",\"batch\":[{\"name\":\"n\",\"seqNum\":1.5,\"parentSeqNum\":0,\"clientId\":\"c\",\"sessionId\":\"x\"}],\"backendId\":{\"_tag\":\"None\"}}",
      "{\"storeId\":\"s\",\"batch\":[{\"name\":\"n\",\"seqNum\":\"1\",\"parentSeqNum\":0,\"clientId\":\"c\",\"sessionId\":\"x\"}],\"backendId\":{\"_tag\":\"None\"}}",
      "{\"storeId\":\"s\",\"batch\":[{\"name\":\"n\",\"seqNum\":-1,\"parentSeqNum\":0,\"clientId\":\"c\",\"sessionId\":\"x\"}],\"backendId\":{\"_tag\":\"None\"}}",
      "{\"storeId\":\"s\",\"batch\":[{\"seqNum\":1,\"parentSeqNum\":0,\"clientId\":\"c\",\"sessionId\":\"x\"}],\"backendId\":{\"_tag\":\"None\"}}",
      "{\"storeId\":\"s\",\"batch\":{},\"backendId\":{\"_tag\":\"None\"}}",
      "{\"storeId\":\"s\",\"batch\":[],\"backendId\":\"b\"}",
      "{\"storeId\":7,\"batch\":[],\"backendId\":{\"_tag\":\"None\"}}",
      "[]"})
  void aBadPushPayloadIsABadRequest(String payload) throws Exception {
    RpcFrame frame = decode(request("9", "SyncWsRpc.Push", payload), RpcFrames.Transport.WS);
    assertThat(frame).isInstanceOf(RpcFrame.BadRequest.class);
    assertThat(((RpcFrame.BadRequest) frame).id()).isEqualTo("9");
  }

  @Test
  void anUnknownRequestTagIsABadRequest() throws Exception {
    assertThat(decode(request("3", "SyncWsRpc.Nope", "{}"), RpcFrames.Transport.WS))
        .isEqualTo(new RpcFrame.BadRequest("3", "unknown request tag 'SyncWsRpc.Nope'"));
  }

  /** Nothing to answer: not JSON, no _tag, an unknown _tag, a request without an id. */
  @ParameterizedTest
  @ValueSource(strings = {"{not json", "42", "{\"tag\":\"x\"}", "{\"_tag\":\"Hello\"}",
      "{\"_tag\":\"Request\",\"tag\":\"SyncWsRpc.Pull\",\"payload\":{}}", "{\"_tag\":\"Ack\",\"requestId\":1}"})
  void malformedMessagesThrow(String frame) {
    assertThatThrownBy(() -> decode(frame, RpcFrames.Transport.WS)).isInstanceOf(RpcFrames.Malformed.class);
  }

  @Test
  void repliesHaveLiveStoresExactShapes() throws Exception {
    assertThat(RpcReplies.PONG).isEqualTo("{\"_tag\":\"Pong\"}");
    assertThat(RpcReplies.pushAccepted("1"))
        .isEqualTo("{\"_tag\":\"Exit\",\"requestId\":\"1\",\"exit\":{\"_tag\":\"Success\",\"value\":{}}}");
    assertThat(RpcReplies.streamEnd("0"))
        .isEqualTo("{\"_tag\":\"Exit\",\"requestId\":\"0\",\"exit\":{\"_tag\":\"Success\"}}");
    assertThat(RpcReplies.failure("1", new LiveStoreError.ServerAhead(1, 0))).isEqualTo(
        "{\"_tag\":\"Exit\",\"requestId\":\"1\",\"exit\":{\"_tag\":\"Failure\",\"cause\":{\"_tag\":\"Fail\","
            + "\"error\":{\"_tag\":\"ServerAheadError\",\"minimumExpectedNum\":1,\"providedNum\":0}}}}");
    JsonNode mismatch = JSON.readTree(RpcReplies.failure("2", new LiveStoreError.BackendIdMismatch("a", "b")))
        .at("/exit/cause/error");
    assertThat(mismatch.toString()).isEqualTo("{\"_tag\":\"BackendIdMismatchError\",\"expected\":\"a\",\"received\":\"b\"}");
    JsonNode unknown = JSON.readTree(RpcReplies.failure("3",
        new LiveStoreError.Unknown(LiveStoreError.Code.INVALID_PUSH, "more than 100 events"))).at("/exit/cause/error");
    assertThat(unknown.path("_tag").asText()).isEqualTo("UnknownError");
    assertThat(unknown.path("cause").asText()).isEqualTo("INVALID_PUSH: more than 100 events");
    assertThat(JSON.readTree(RpcReplies.httpPong("4")).at("/exit/value").toString())
        .isEqualTo("{\"_tag\":\"SyncMessage.Pong\"}");
  }

  @Test
  void aChunkCarriesEventsAsPushedWithMetadataAndPageInfo() throws Exception {
    StoredEvent event = new StoredEvent(
        new LiveEvent(1, 0, "v1.TodoCreated", "{\"id\":\"a\",\"text\":\"hi\"}", "client-a", "session-1"), 1_700_000_000_000L);
    JsonNode chunk = JSON.readTree(RpcReplies.chunk("0", "backend", List.of(event), 0));
    assertThat(chunk.path("_tag").asText()).isEqualTo("Chunk");
    assertThat(chunk.path("requestId").asText()).isEqualTo("0");
    JsonNode value = chunk.path("values").get(0);
    assertThat(value.at("/batch/0/eventEncoded")).isEqualTo(JSON.readTree(EVENT));
    assertThat(value.at("/batch/0/metadata").toString()).isEqualTo("{\"_tag\":\"Some\",\"value\":{\"_tag\":"
        + "\"SyncMessage.SyncMetadata\",\"createdAt\":\"2023-11-14T22:13:20.000Z\"}}");
    assertThat(value.path("pageInfo").toString()).isEqualTo("{\"_tag\":\"NoMore\"}");
    assertThat(value.path("backendId").asText()).isEqualTo("backend");
  }

  @Test
  void anEmptyPageIsAnEmptyBatchAndMoreKnownCountsTheRest() throws Exception {
    assertThat(JSON.readTree(RpcReplies.chunk("0", "b", List.of(), 0)).path("values").get(0).toString())
        .isEqualTo("{\"batch\":[],\"pageInfo\":{\"_tag\":\"NoMore\"},\"backendId\":\"b\"}");
    List<StoredEvent> events = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      events.add(new StoredEvent(new LiveEvent(i, i - 1, "n", null, "c", "s"), 1L));
    }
    JsonNode value = JSON.readTree(RpcReplies.chunk("0", "b", events, 150)).at("/values/0");
    assertThat(value.path("pageInfo").toString()).isEqualTo("{\"_tag\":\"MoreKnown\",\"remaining\":150}");
    assertThat(value.path("batch").size()).isEqualTo(3);
    assertThat(value.at("/batch/2/eventEncoded/seqNum").asInt()).isEqualTo(3);
  }
}
