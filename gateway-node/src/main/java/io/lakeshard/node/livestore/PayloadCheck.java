package io.lakeshard.node.livestore;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a client's sync payload may use a store, once per WebSocket connection (at the
 * upgrade) and once per HTTP request, before anything reaches the store: LiveStore's
 * {@code validatePayload(payload, {storeId})}. A refusal is answered HTTP 400 with the text
 * {@code CODE: message}, as LiveStore's worker answers and as clients read the code (workspace
 * clients log out on {@code FORBIDDEN} and refresh on {@code TOKEN_*}). The static token
 * ({@link StaticTokenCheck}) is this rule; workspace JWT rules plug in here too.
 */
public interface PayloadCheck {
  /** Why a payload was refused: {@code code} is upper-case, the text before the colon. */
  record Refusal(String code, String message) {
    public String text() {
      return code + ": " + message;
    }
  }

  /** Empty when the payload may use {@code storeId}; a failed stage counts as a refusal. */
  CompletionStage<Optional<Refusal>> check(String storeId, Optional<JsonNode> payload);
}
