package io.lakeshard.node.livestore;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code lakeshard.livestore.auth-token}: the payload's {@code authToken} must be this token
 * (compared in constant time: {@link MessageDigest#isEqual}); an empty token lets every payload
 * in (the node warns at start).
 */
public final class StaticTokenCheck implements PayloadCheck {
  /** A static token is never revoked: nothing to cut. */
  private static final CompletionStage<Admission> ACCEPTED =
      CompletableFuture.completedFuture(new Admitted(Optional.empty()));
  private final byte[] token;

  public StaticTokenCheck(String token) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  public boolean open() {
    return token.length == 0;
  }

  @Override
  public CompletionStage<Admission> check(String storeId, Optional<JsonNode> payload) {
    if (open()) {
      return ACCEPTED;
    }
    JsonNode authToken = payload.map(json -> json.path("authToken")).orElse(null);
    if (authToken == null || !authToken.isTextual()) {
      return refused("TOKEN_MISSING", "the sync payload needs an authToken");
    }
    return MessageDigest.isEqual(token, authToken.asText().getBytes(StandardCharsets.UTF_8))
        ? ACCEPTED
        : refused("TOKEN_INVALID", "the authToken is not this node's");
  }

  private static CompletionStage<Admission> refused(String code, String message) {
    return CompletableFuture.completedFuture(new Refused(new Refusal(code, message)));
  }
}
