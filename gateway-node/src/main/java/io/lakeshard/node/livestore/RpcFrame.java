package io.lakeshard.node.livestore;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.core.eventstore.LiveEvent;
import java.util.List;
import java.util.Optional;

/**
 * A client's Effect RPC message, as {@link RpcFrames} decodes it (LIVESTORE.md "Framing"). A
 * request whose id is known but whose tag or payload is not LiveStore's is a {@link BadRequest}:
 * it gets an Exit Failure, not a close.
 */
sealed interface RpcFrame {
  /** The client's keep-alive: answered with exactly {@code {"_tag":"Pong"}}. */
  record Ping() implements RpcFrame {}

  /** The client has taken the chunk before: the next catch-up chunk of that stream may go. */
  record Ack(String requestId) implements RpcFrame {}

  /** The client gave up waiting on a request; harmless (its answer may still come). */
  record Interrupt(String requestId) implements RpcFrame {}

  /** The client will send no more requests (Effect RPC's end of input); harmless. */
  record Eof() implements RpcFrame {}

  /** A request: the shared part of pull, push and ping. */
  sealed interface Request extends RpcFrame {
    String id();
  }

  /** A request with a known id that is not a LiveStore request: answered with an UnknownError. */
  record BadRequest(String id, String message) implements Request {}

  /**
   * {@code SyncWsRpc.Pull} / {@code SyncHttpRpc.Pull}: events after {@code cursor} (none: from the
   * start); {@code live} only over WebSocket.
   */
  record Pull(String id, String storeId, Optional<JsonNode> payload, boolean live, Optional<Cursor> cursor)
      implements Request {
    /** The sequence number to pull after (0: the root, so every event). */
    long afterSeqNum() {
      return cursor.map(Cursor::eventSequenceNumber).orElse(0L);
    }
  }

  /** A pull's cursor: the last event the client has, of the backend it had it from. */
  record Cursor(String backendId, long eventSequenceNumber) {}

  /** {@code SyncWsRpc.Push} / {@code SyncHttpRpc.Push}. */
  record Push(String id, String storeId, Optional<JsonNode> payload, List<LiveEvent> batch,
              Optional<String> backendId) implements Request {}

  /** {@code SyncHttpRpc.Ping}: answered with {@code SyncMessage.Pong}. */
  record HttpPing(String id, String storeId, Optional<JsonNode> payload) implements Request {}
}
