package io.lakeshard.node.workspace;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A verified workspace token: its user ({@code userId}, else {@code sub}), the workspaces it lists
 * with the user's role in each, its {@code workspaceClaimsVersion} and its {@code exp}.
 */
public record WorkspaceToken(String userId, Map<String, WorkspaceRole> workspaces, long claimsVersion,
                             Instant expiresAt) implements WorkspaceTokens.Verdict {
  public WorkspaceToken {
    workspaces = Map.copyOf(workspaces);
  }

  /** The user's role in {@code workspaceId}; empty when the token does not list it. */
  public Optional<WorkspaceRole> roleIn(String workspaceId) {
    return Optional.ofNullable(workspaces.get(workspaceId));
  }
}
