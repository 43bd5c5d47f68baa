package io.lakeshard.node.workspace;

import static io.lakeshard.node.http.JsonErrors.error;

import io.lakeshard.node.auth.JwtAuth;
import io.lakeshard.node.auth.NodeTokens;
import io.lakeshard.node.claims.OpenSessions.SessionHolder;
import io.lakeshard.node.http.Bearer;
import io.lakeshard.node.http.JsonErrors;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who calls a gateway's routes (sync and the gateway's admin routes). Workspace mode off: LakeSync
 * {@code gw} tokens ({@link NodeTokens}). On: the gateway is a workspace, and the bearer is the
 * server bypass or a workspace token ({@link WorkspaceGate}); its user is the principal's clientId
 * (as a LakeSync token's {@code sub}), and admin or owner of the workspace is the principal's admin
 * role, so every rule downstream (clientId, gateway, admin role) holds unchanged. Refusals are
 * LakeSync JSON errors with the workspace code: 401 for the token's, 403 FORBIDDEN, 503
 * AUTH_UNAVAILABLE with Retry-After.
 */
public final class GatewayAuth {
  /** When a claims version could not be read: a replica answers again within a second or two. */
  private static final Duration AUTH_RETRY_AFTER = Duration.ofSeconds(1);

  /** The caller: its principal (none: auth off, or the server), and whose session to cut, in workspace mode. */
  public record Caller(Optional<JwtAuth.Principal> principal, Optional<SessionHolder> holder) {}

  private final NodeTokens tokens;
  private final Optional<WorkspaceGate> gate;

  /** {@code gate}: present in workspace mode. */
  public GatewayAuth(NodeTokens tokens, Optional<WorkspaceGate> gate) {
    this.tokens = tokens;
    this.gate = gate;
  }

  /** Whether workspace mode is on. */
  public boolean workspaces() {
    return gate.isPresent();
  }

  public Route caller(String gatewayId, Function<Caller, Route> inner) {
    if (gate.isEmpty()) {
      return tokens.principal(principal -> inner.apply(new Caller(principal, Optional.empty())));
    }
    return Bearer.token(bearer -> Directives.onSuccess(gate.get().admitBearer(gatewayId, bearer), admission ->
        admission instanceof WorkspaceGate.Admitted admitted
            ? inner.apply(new Caller(principal(gatewayId, admitted), Optional.of(admitted.holder())))
            : refused(((WorkspaceGate.Refused) admission).refusal())));
  }

  /** The caller's principal only (HTTP routes: nothing to cut). */
  public Route principal(String gatewayId, Function<Optional<JwtAuth.Principal>, Route> inner) {
    return caller(gatewayId, caller -> inner.apply(caller.principal()));
  }

  private static Optional<JwtAuth.Principal> principal(String gatewayId, WorkspaceGate.Admitted admitted) {
    if (admitted.role().isEmpty()) {
      return Optional.empty(); // the server bypass: as with auth off, for this workspace
    }
    String userId = admitted.holder().userId();
    return Optional.of(new JwtAuth.Principal(userId, gatewayId, admitted.administers(),
        Map.of("sub", List.of(userId), "userId", List.of(userId))));
  }

  private static Route refused(WorkspaceRefusal refusal) {
    String code = refusal.code().name();
    return switch (refusal.code()) {
      case TOKEN_MISSING, TOKEN_INVALID, GRACE_PERIOD_EXPIRED, TOKEN_VERSION_STALE ->
          error(StatusCodes.UNAUTHORIZED, code, refusal.message());
      case FORBIDDEN -> error(StatusCodes.FORBIDDEN, code, refusal.message());
      case AUTH_UNAVAILABLE -> JsonErrors.retryLater(JsonErrors.Family.SYNC, code, refusal.message(), AUTH_RETRY_AFTER);
    };
  }
}
