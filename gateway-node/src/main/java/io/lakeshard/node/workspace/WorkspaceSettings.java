package io.lakeshard.node.workspace;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code lakeshard.workspace}: whether sync routes take workspace tokens ({@code auth = on}), how
 * long past {@code exp} a token still passes ({@code grace}), the server bypass secret (empty:
 * no bypass), and the {@code iss} / {@code aud} a token must carry when set.
 */
public record WorkspaceSettings(boolean auth, Duration grace, String serverBypassToken,
                                Optional<String> issuer, Optional<String> audience) {
  public WorkspaceSettings {
    if (grace.isNegative()) {
      throw new IllegalArgumentException("lakeshard.workspace.grace must not be negative, got " + grace);
    }
  }

  public static WorkspaceSettings fromConfig(Config config) {
    Config workspace = config.getConfig("lakeshard.workspace");
    String auth = workspace.getString("auth");
    if (!auth.equals("on") && !auth.equals("off")) {
      throw new IllegalArgumentException("lakeshard.workspace.auth (LAKESHARD_WORKSPACE_AUTH) must be on or off, not '"
          + auth + "'");
    }
    return new WorkspaceSettings(auth.equals("on"), grace(workspace), workspace.getString("server-bypass-token"),
        nonEmpty(workspace.getString("issuer")), nonEmpty(workspace.getString("audience")));
  }

  /** A bare number is seconds (Work Squared's GRACE_PERIOD_SECONDS=86400), else a HOCON duration. */
  private static Duration grace(Config workspace) {
    String grace = workspace.getString("grace").trim();
    return grace.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(grace)) : workspace.getDuration("grace");
  }

  private static Optional<String> nonEmpty(String value) {
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }
}
