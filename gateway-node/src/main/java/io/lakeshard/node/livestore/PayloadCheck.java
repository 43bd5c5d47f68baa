package io.lakeshard.node.livestore;

import com.fasterxml.jackson.databind.JsonNode;
import io.lakeshard.node.claims.OpenSessions;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a client's sync payload may use a store, once per WebSocket connection (at the
 * upgrade) and once per HTTP request, before anything reaches the store: LiveStore's
 * {@code validatePayload(payload, {storeId})}. A refusal is answered HTTP 400 with the text
 * {@code CODE: message}, as LiveStore's worker answers and as clients read the code (workspace
 * clients log out on {@code FORBIDDEN} and refresh on {@code TOKEN_*}). Implementations: the
 * static token ({@link StaticTokenCheck}) and workspace tokens ({@code workspace} package).
 */
public interface PayloadCheck {
  /** Why a payload was refused: {@code code} is upper-case, the text before the colon. */
  record Refusal(String code, String message) {
    public String text() {
      return code + ": " + message;
    }
  }

  /** A check's answer. */
  sealed interface Admission permits Admitted, Refused {}

  /**
   * The payload may use the store; {@code holder}: whose token it is, when the token can be
   * revoked or expire — a WebSocket registers it in {@link OpenSessions} and is cut with it.
   */
  record Admitted(Optional<OpenSessions.SessionHolder> holder) implements Admission {}

  record Refused(Refusal refusal) implements Admission {}

  /** A failed stage counts as a refusal. */
  CompletionStage<Admission> check(String storeId, Optional<JsonNode> payload);
}
