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
  private static final CompletionStage<Optional<Refusal>> ACCEPTED = CompletableFuture.completedFuture(Optional.empty());
  private final byte[] token;

  public StaticTokenCheck(String token) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  public boolean open() {
    return token.length == 0;
  }

  @Override
  public CompletionStage<Optional<Refusal>> check(String storeId, Optional<JsonNode> payload) {
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

  private static CompletionStage<Optional<Refusal>> refused(String code, String message) {
    return CompletableFuture.completedFuture(Optional.of(new Refusal(code, message)));
  }
}
