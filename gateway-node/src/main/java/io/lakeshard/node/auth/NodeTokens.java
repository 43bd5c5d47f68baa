package io.lakeshard.node.auth;

import static io.lakeshard.node.http.JsonErrors.AUTH_ERROR;
import static io.lakeshard.node.http.JsonErrors.FORBIDDEN;
import static io.lakeshard.node.http.JsonErrors.error;

import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.http.Bearer;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's one token verifier (one cache of checked tokens) and the directives the gateway and
 * admin routes authenticate with. Stream reads use the same verifier even when gateway auth is off.
 */
public final class NodeTokens {
  private static final Logger log = LoggerFactory.getLogger(NodeTokens.class);

  private final Optional<JwtAuth> verifier;
  private final boolean gatewayAuth;

  private NodeTokens(Optional<JwtAuth> verifier, boolean gatewayAuth) {
    this.verifier = verifier;
    this.gatewayAuth = gatewayAuth;
  }

  /** Fails fast when gateway auth is on without a secret; without a secret no verifier exists. */
  public static NodeTokens from(NodeSettings.AuthSettings auth) {
    if (!auth.enabled()) {
      log.warn("AUTH IS DISABLED (lakeshard.auth.enabled=false): "
          + "any client can push to and pull from any gateway");
    } else if (auth.secret().isEmpty()) {
      throw new IllegalStateException(
          "no JWT secret: set LAKESHARD_JWT_SECRET (at least 32 bytes), "
              + "or LAKESHARD_AUTH_ENABLED=false for a local experiment");
    }
    Optional<JwtAuth> verifier = auth.secret().isEmpty() ? Optional.empty()
        : Optional.of(new JwtAuth(auth.secret(), auth.previousSecret(), Clock.systemUTC()));
    return new NodeTokens(verifier, auth.enabled());
  }

  /** The verifier, when the node has a secret. */
  public Optional<JwtAuth> verifier() {
    return verifier;
  }

  /**
   * The token's principal, or 401. With gateway auth off, {@code inner} sees no principal (every
   * gateway rule that needs one then holds).
   */
  public Route principal(Function<Optional<JwtAuth.Principal>, Route> inner) {
    if (!gatewayAuth) {
      return inner.apply(Optional.empty());
    }
    return Bearer.token(token -> {
      if (token.isEmpty()) {
        return error(StatusCodes.UNAUTHORIZED, AUTH_ERROR, "missing bearer token");
      }
      try {
        return inner.apply(Optional.of(verifier.orElseThrow().verify(token.get())));
      } catch (JwtAuth.InvalidTokenException e) {
        return error(StatusCodes.UNAUTHORIZED, AUTH_ERROR, e.getMessage());
      }
    });
  }

  /** {@code inner} for any admin token (with gateway auth off, anyone); 401 or 403 otherwise. */
  public Route admin(Supplier<Route> inner) {
    return principal(principal -> admin(principal, inner));
  }

  /** {@code inner} when the principal has the admin role (no principal: gateway auth is off), else 403. */
  public static Route admin(Optional<JwtAuth.Principal> principal, Supplier<Route> inner) {
    if (principal.isPresent() && !principal.get().admin()) {
      log.info("admin route refused to {} (gateway {}): FORBIDDEN, admin role required",
          principal.get().clientId(), principal.get().gatewayId());
      return error(StatusCodes.FORBIDDEN, FORBIDDEN, "admin role required");
    }
    return inner.get();
  }
}
