package io.lakeshard.node.workspace;

import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.Stages;
import io.lakeshard.node.claims.ClaimsVersions;
import io.lakeshard.node.claims.OpenSessions.SessionHolder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a caller may use one workspace (a LiveStore store or a LakeSync gateway), for every
 * transport, in Work Squared's order without its defects: the server bypass (compared in constant
 * time; no secret set: no bypass, and a payload that claims it is refused), the token (missing,
 * invalid, past its grace), the workspace the client names (LiveStore's {@code instanceId}: present
 * and the store's), the user's claims version (read through {@link ClaimsVersions}; unreadable in
 * time: AUTH_UNAVAILABLE, never accepted), the workspace listed in the token. Every refusal is
 * logged with the user, the workspace and the code; never the token.
 */
public final class WorkspaceGate {
  private static final Logger log = LoggerFactory.getLogger(WorkspaceGate.class);
  /** Who a bypass session belongs to, as Work Squared names it. */
  public static final String SERVER = "server-internal";
  /** A bypass session is never stale and never expires. */
  private static final SessionHolder SERVER_HOLDER = new SessionHolder(SERVER, Long.MAX_VALUE, Instant.MAX);

  /**
   * What a client presents for a workspace: a token, the bypass secret (LiveStore's {@code
   * serverBypass}, present when the payload has one), and the workspace it names (LiveStore's
   * {@code instanceId}; a gateway's URL names its own).
   */
  public record Credentials(Optional<String> token, Optional<String> serverBypass, Optional<String> named) {}

  /** The gate's answer. */
  public sealed interface Admission permits Admitted, Refused {}

  /** Admitted: who holds the session, and the role ({@code empty}: the server, which may do anything). */
  public record Admitted(SessionHolder holder, Optional<WorkspaceRole> role) implements Admission {
    public boolean administers() {
      return role.map(WorkspaceRole::administers).orElse(true);
    }
  }

  public record Refused(WorkspaceRefusal refusal) implements Admission {}

  private final WorkspaceTokens tokens;
  private final ClaimsVersions versions;
  private final byte[] bypass;

  public WorkspaceGate(WorkspaceTokens tokens, ClaimsVersions versions, String serverBypassToken) {
    this.tokens = tokens;
    this.versions = versions;
    this.bypass = serverBypassToken.getBytes(StandardCharsets.UTF_8);
  }

  /** The gate when workspace auth is on; its tokens are signed with the node's JWT secret. */
  public static Optional<WorkspaceGate> from(NodeSettings.AuthSettings auth, WorkspaceSettings workspace,
                                             ClaimsVersions versions) {
    if (!workspace.auth()) {
      return Optional.empty();
    }
    if (auth.secret().isEmpty()) {
      throw new IllegalStateException("workspace auth (LAKESHARD_WORKSPACE_AUTH=on) needs LAKESHARD_JWT_SECRET");
    }
    log.info("workspace auth is on: grace {} s, server bypass {}", workspace.grace().toSeconds(),
        workspace.serverBypassToken().isEmpty() ? "off" : "on");
    WorkspaceTokens tokens = new WorkspaceTokens(auth.secret(), auth.previousSecret(), workspace, Clock.systemUTC());
    return Optional.of(new WorkspaceGate(tokens, versions, workspace.serverBypassToken()));
  }

  /** The gate's token verifier (one cache of checked tokens per node; image uploads use it too). */
  public WorkspaceTokens tokens() {
    return tokens;
  }

  /** A plain bearer for a gateway: the bypass secret, or a workspace token. */
  public CompletionStage<Admission> admitBearer(String workspaceId, Optional<String> bearer) {
    boolean server = bearer.isPresent() && bypass.length > 0 && isBypass(bearer.get());
    return admit(workspaceId, server ? new Credentials(Optional.empty(), bearer, Optional.of(workspaceId))
        : new Credentials(bearer, Optional.empty(), Optional.of(workspaceId)));
  }

  public CompletionStage<Admission> admit(String workspaceId, Credentials credentials) {
    if (credentials.serverBypass().isPresent()) {
      if (bypass.length == 0) {
        return refused(SERVER, workspaceId, WorkspaceCode.TOKEN_INVALID, "server bypass is disabled on this node");
      }
      if (!isBypass(credentials.serverBypass().get())) {
        return refused(SERVER, workspaceId, WorkspaceCode.TOKEN_INVALID, "the serverBypass is wrong");
      }
      return named(SERVER, workspaceId, credentials)
          .orElseGet(() -> CompletableFuture.completedFuture(new Admitted(SERVER_HOLDER, Optional.empty())));
    }
    WorkspaceTokens.Verdict verdict = tokens.verify(credentials.token());
    if (verdict instanceof WorkspaceRefusal refusal) {
      return refused("(no valid token)", workspaceId, refusal.code(), refusal.message());
    }
    WorkspaceToken token = (WorkspaceToken) verdict;
    return named(token.userId(), workspaceId, credentials).orElseGet(() -> current(token, workspaceId));
  }

  /** The named workspace's refusal, if it is missing or another. */
  private Optional<CompletionStage<Admission>> named(String userId, String workspaceId, Credentials credentials) {
    if (credentials.named().isEmpty()) {
      return Optional.of(refused(userId, workspaceId, WorkspaceCode.TOKEN_MISSING, "the sync payload needs an instanceId"));
    }
    if (!credentials.named().get().equals(workspaceId)) {
      return Optional.of(refused(userId, workspaceId, WorkspaceCode.FORBIDDEN,
          "Workspace mismatch: instanceId is not the storeId"));
    }
    return Optional.empty();
  }

  private CompletionStage<Admission> current(WorkspaceToken token, String workspaceId) {
    CompletionStage<Long> current;
    try {
      current = Stages.direct(versions.current(token.userId()));
    } catch (RuntimeException e) {
      current = CompletableFuture.failedFuture(e);
    }
    return current.handle((version, failed) -> {
      if (failed != null) {
        return refusal(token.userId(), workspaceId, WorkspaceCode.AUTH_UNAVAILABLE,
            "the user's claims version cannot be read now; retry");
      }
      if (token.claimsVersion() < version) {
        return refusal(token.userId(), workspaceId, WorkspaceCode.TOKEN_VERSION_STALE,
            "token's workspaceClaimsVersion " + token.claimsVersion() + " is below the user's " + version);
      }
      Optional<WorkspaceRole> role = token.roleIn(workspaceId);
      if (role.isEmpty()) {
        return refusal(token.userId(), workspaceId, WorkspaceCode.FORBIDDEN, "not a member of workspace " + workspaceId);
      }
      return new Admitted(new SessionHolder(token.userId(), token.claimsVersion(), tokens.cutAt(token)), role);
    });
  }

  private boolean isBypass(String presented) {
    return MessageDigest.isEqual(bypass, presented.getBytes(StandardCharsets.UTF_8));
  }

  private static CompletionStage<Admission> refused(String userId, String workspaceId, WorkspaceCode code,
                                                    String message) {
    return CompletableFuture.completedFuture(refusal(userId, workspaceId, code, message));
  }

  private static Admission refusal(String userId, String workspaceId, WorkspaceCode code, String message) {
    log.info("workspace auth refused user {} for workspace {}: {} ({})", userId, workspaceId, code, message);
    return new Refused(new WorkspaceRefusal(code, message));
  }
}
