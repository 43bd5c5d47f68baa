package io.lakeshard.node.claims;

import static io.lakeshard.node.http.JsonErrors.FORBIDDEN;
import static io.lakeshard.node.http.JsonErrors.VALIDATION_ERROR;
import static io.lakeshard.node.http.JsonErrors.error;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.Sha256;
import io.lakeshard.node.auth.NodeTokens;
import io.lakeshard.node.http.Bearer;
import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.node.http.RequestBodies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/admin/claims-version/{userId}} — the hook an auth service calls when a user's
 * memberships change: {@code {"version": N}} raises the version to N (never lowers it), an empty
 * body bumps it by one; {@code GET} reads it (0 when never set). Both answer
 * {@code {"userId", "version"}}. Callers: a node admin token, or the server bypass token as the
 * bearer (compared in constant time; unset: admins only).
 */
public final class ClaimsVersionRoutes extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(ClaimsVersionRoutes.class);
  /** Retryable: the replicas answer again once a majority is reachable. */
  public static final String CLAIMS_UNAVAILABLE = "CLAIMS_UNAVAILABLE";
  /** Ids of auth services (UUIDs, Auth0's {@code provider|id}, emails), at most 128 characters. */
  private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._@:|+-]{1,128}");
  private static final long MAX_BODY_BYTES = 1024;
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The answer of both methods. */
  public record ClaimsVersion(String userId, long version) {}

  private final ClaimsVersions versions;
  private final NodeTokens tokens;
  private final Optional<byte[]> bypassDigest;
  private final RequestBodies bodies;

  public ClaimsVersionRoutes(ClaimsVersions versions, NodeTokens tokens, String serverBypassToken, RequestBodies bodies) {
    this.versions = versions;
    this.tokens = tokens;
    this.bypassDigest = serverBypassToken.isEmpty() ? Optional.empty() : Optional.of(Sha256.of(serverBypassToken));
    this.bodies = bodies;
  }

  /** Mounted under {@code /v1}. */
  public Route routes() {
    return path(PathMatchers.segment("admin").slash("claims-version").slash(PathMatchers.segment()), userId ->
        authorized(caller -> concat(
            get(() -> validUser(userId, () -> answer(userId, versions.current(userId)))),
            post(() -> validUser(userId, () -> bodies.strict(MAX_BODY_BYTES, body -> raise(userId, body, caller)))))));
  }

  private Route raise(String userId, byte[] body, String caller) {
    OptionalLong version;
    try {
      version = requestedVersion(body);
    } catch (IllegalArgumentException e) {
      return error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR, e.getMessage());
    }
    CompletionStage<Long> raised = versions.raise(userId, version).whenComplete((held, failed) -> {
      if (held != null) {
        log.info("claims version of user {} is now {} ({} asked by {})", userId, held,
            version.isPresent() ? "raise to " + version.getAsLong() : "a bump", caller);
      }
    });
    return answer(userId, raised);
  }

  /** Empty (or blank): a bump; else exactly {@code {"version": N}}, N a whole number from 0. */
  static OptionalLong requestedVersion(byte[] body) {
    if (new String(body, StandardCharsets.UTF_8).isBlank()) {
      return OptionalLong.empty();
    }
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("body is not JSON: send {\"version\": N} or nothing");
    }
    JsonNode version = json.get("version");
    if (!json.isObject() || json.size() != 1 || version == null) {
      throw new IllegalArgumentException("body must be {\"version\": N} or empty");
    }
    if (!version.isIntegralNumber() || !version.canConvertToLong() || version.asLong() < 0) {
      throw new IllegalArgumentException("version must be a whole number from 0 to " + Long.MAX_VALUE);
    }
    return OptionalLong.of(version.asLong());
  }

  private Route answer(String userId, CompletionStage<Long> version) {
    return onComplete(version, result -> {
      if (result.isSuccess()) {
        return JsonBodies.complete(StatusCodes.OK, new ClaimsVersion(userId, result.get()));
      }
      Throwable cause = result.failed().get() instanceof CompletionException wrapped ? wrapped.getCause() : result.failed().get();
      if (cause instanceof ClaimsUnavailableException unavailable) {
        log.warn("claims version of user {} unavailable: {}", userId, unavailable.getMessage());
        return JsonErrors.retryLater(JsonErrors.Family.SYNC, CLAIMS_UNAVAILABLE,
            "the claims version could not be read or written in time; retry", RETRY_AFTER);
      }
      throw new CompletionException(cause); // JsonErrors' handler: logged, 500
    });
  }

  private Route validUser(String userId, Supplier<Route> inner) {
    return USER_ID.matcher(userId).matches() ? inner.get()
        : error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR,
            "userId must be 1 to 128 of A-Z a-z 0-9 . _ @ : | + -");
  }

  /** The server bypass token as bearer, else the node's admin check; {@code inner} is told who called. */
  private Route authorized(Function<String, Route> inner) {
    return Bearer.token(bearer -> {
      if (bypassDigest.isPresent() && bearer.isPresent()
          && MessageDigest.isEqual(Sha256.of(bearer.get()), bypassDigest.get())) {
        return inner.apply("the server bypass token");
      }
      return tokens.principal(principal -> {
        if (principal.isPresent() && !principal.get().admin()) {
          return error(StatusCodes.FORBIDDEN, FORBIDDEN, "admin role or the server bypass token required");
        }
        return inner.apply(principal.map(admin -> "admin " + admin.clientId()).orElse("anyone (auth is off)"));
      });
    });
  }
}
