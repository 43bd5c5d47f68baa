package io.lakeshard.node.workspace;

/** A refused token or workspace, with why. */
public record WorkspaceRefusal(WorkspaceCode code, String message) implements WorkspaceTokens.Verdict {
  /** {@code CODE: message}, as LiveStore refusals are answered. */
  public String text() {
    return code + ": " + message;
  }
}
