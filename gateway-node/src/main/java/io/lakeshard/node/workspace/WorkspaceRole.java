package io.lakeshard.node.workspace;

import java.util.Locale;
import java.util.Optional;

/** A user's role in one workspace, as the token's {@code workspaces} claim names it (lower-case). */
public enum WorkspaceRole {
  /** Pushes and pulls. */
  MEMBER,
  /** Also calls the workspace's admin routes (flush, schema, store info). */
  ADMIN,
  /** As an admin; the auth service tells owners apart, the node does not. */
  OWNER;

  /** Whether this role may call the workspace's admin routes. */
  public boolean administers() {
    return this != MEMBER;
  }

  /** {@code owner}, {@code admin} or {@code member}; anything else is no role. */
  static Optional<WorkspaceRole> of(String claim) {
    for (WorkspaceRole role : values()) {
      if (role.name().toLowerCase(Locale.ROOT).equals(claim)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }
}
