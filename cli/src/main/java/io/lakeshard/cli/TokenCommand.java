package io.lakeshard.cli;

import io.lakeshard.protocol.Tokens;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lakeshard token …}: mints the tokens a node accepts, signed with its secret (nothing is sent anywhere). */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Mints a token signed with the node's JWT secret and prints it.",
    subcommands = {TokenCommand.Gateway.class, TokenCommand.Admin.class, TokenCommand.StreamSession.class,
        TokenCommand.Workspace.class})
final class TokenCommand {
  /** The secret and lifetime every token takes. */
  static final class Signing {
    @Option(names = "--secret", paramLabel = "SECRET", defaultValue = "${env:LAKESHARD_JWT_SECRET}",
        description = "The node's HS256 secret, at least 32 bytes (env LAKESHARD_JWT_SECRET).")
    String secret;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "24h", converter = Durations.class,
        description = "How long the token is valid (default ${DEFAULT-VALUE}).")
    Duration ttl;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** Prints the token {@code mint} makes with the secret; a missing or short secret is a usage error. */
    Integer print(Mint mint) {
      if (secret == null || secret.isEmpty()) {
        throw CliError.usage("no secret: set LAKESHARD_JWT_SECRET or pass --secret");
      }
      if (ttl.isNegative() || ttl.isZero()) {
        throw CliError.usage("--ttl must be positive");
      }
      String token;
      try {
        token = mint.token(secret, ttl, Clock.systemUTC());
      } catch (IllegalArgumentException e) {
        throw CliError.usage(e.getMessage());
      }
      spec.commandLine().getOut().println(token);
      return Exit.OK;
    }
  }

  interface Mint {
    String token(String secret, Duration ttl, Clock clock);
  }

  @Command(name = "gateway", mixinStandardHelpOptions = true,
      description = "A gateway token: sub = CLIENT, gw = GATEWAY (push, pull, WebSocket).")
  static final class Gateway implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CLIENT", description = "The client id (the token's sub).")
    String clientId;

    @Parameters(index = "1", paramLabel = "GATEWAY", description = "The gateway id.")
    String gatewayId;

    @Option(names = "--admin", description = "Also role=admin (the gateway's admin routes).")
    boolean admin;

    @Mixin
    Signing signing;

    @Override
    public Integer call() {
      return signing.print((secret, ttl, clock) -> Tokens.gateway(secret, clientId, gatewayId, admin, ttl, clock));
    }
  }

  @Command(name = "admin", mixinStandardHelpOptions = true,
      description = "An admin token: role=admin for GATEWAY (its flush, schema, metrics…), and the node-wide "
          + "admin routes (cluster, backends, LiveStore stores, claims versions).")
  static final class Admin implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "GATEWAY", defaultValue = "admin",
        description = "The gateway its gateway admin routes are for (default ${DEFAULT-VALUE}).")
    String gatewayId;

    @Option(names = "--client", paramLabel = "CLIENT", defaultValue = "admin",
        description = "The token's sub (default ${DEFAULT-VALUE}).")
    String clientId;

    @Mixin
    Signing signing;

    @Override
    public Integer call() {
      return signing.print((secret, ttl, clock) -> Tokens.gateway(secret, clientId, gatewayId, true, ttl, clock));
    }
  }

  @Command(name = "stream-session", mixinStandardHelpOptions = true,
      description = "A stream read token (LAKESHARD_STREAM_READ_JWT=true) for the stream session:SESSION "
          + "and every ordinary stream.")
  static final class StreamSession implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SESSION", description = "The session id (the token's session_id).")
    String sessionId;

    @Mixin
    Signing signing;

    @Override
    public Integer call() {
      return signing.print((secret, ttl, clock) -> Tokens.streamReader(secret, sessionId, ttl, clock));
    }
  }

  @Command(name = "workspace", mixinStandardHelpOptions = true,
      description = "A workspace token (LAKESHARD_WORKSPACE_AUTH=on): userId = USER, its workspaces and claims "
          + "version.")
  static final class Workspace implements Callable<Integer> {
    private static final Set<String> ROLES = Set.of("owner", "admin", "member");

    @Parameters(index = "0", paramLabel = "USER", description = "The user id (the token's userId).")
    String userId;

    @Option(names = {"-w", "--workspace"}, paramLabel = "ID[=ROLE]", required = true,
        description = "A workspace the user is in, with the role (owner, admin or member; default member). "
            + "Repeatable.")
    List<String> workspaces;

    @Option(names = "--claims-version", paramLabel = "N", defaultValue = "0",
        description = "workspaceClaimsVersion (default ${DEFAULT-VALUE}); below the user's current version "
            + "the node refuses it.")
    long claimsVersion;

    @Mixin
    Signing signing;

    @Override
    public Integer call() {
      if (claimsVersion < 0) {
        throw CliError.usage("--claims-version must be 0 or more");
      }
      Map<String, String> roles = new LinkedHashMap<>();
      for (String workspace : workspaces) {
        int equals = workspace.indexOf('=');
        String id = equals < 0 ? workspace : workspace.substring(0, equals);
        String role = equals < 0 ? "member" : workspace.substring(equals + 1);
        if (id.isEmpty() || !ROLES.contains(role)) {
          throw CliError.usage("--workspace " + workspace + ": expected ID or ID=ROLE with ROLE owner, admin or member");
        }
        roles.put(id, role);
      }
      return signing.print((secret, ttl, clock) -> Tokens.workspace(secret, userId, roles, claimsVersion, ttl, clock));
    }
  }
}
