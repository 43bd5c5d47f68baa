package io.lakeshard.node;

import io.lakeshard.node.auth.JwtAuth;
import java.time.Clock;
import java.time.Duration;

/**
 * Prints a dev token signed with LAKESHARD_JWT_SECRET: {@code DevToken <clientId> <gatewayId> [admin] [ttl-hours]},
 * or a stream read token for {@code session:<id>}: {@code DevToken --stream-session <id> [ttl-hours]}.
 */
public final class DevToken {
  private static final String STREAM_SESSION = "--stream-session";

  public static void main(String[] args) {
    String secret = System.getenv("LAKESHARD_JWT_SECRET");
    if (args.length < 2 || secret == null || secret.isEmpty()) {
      System.err.println("usage: LAKESHARD_JWT_SECRET=... scripts/token <clientId> <gatewayId> [admin] [ttl-hours]");
      System.err.println("       LAKESHARD_JWT_SECRET=... scripts/token " + STREAM_SESSION + " <session-id> [ttl-hours]");
      System.exit(2);
    }
    if (args[0].equals(STREAM_SESSION)) {
      Duration ttl = Duration.ofHours(args.length > 2 ? Long.parseLong(args[2]) : 24);
      System.out.println(JwtAuth.signStreamReader(secret, args[1], ttl, Clock.systemUTC()));
      return;
    }
    boolean admin = args.length > 2 && args[2].equals("admin");
    long hours = args.length > 3 ? Long.parseLong(args[3]) : 24;
    System.out.println(JwtAuth.sign(secret, args[0], args[1], admin, Duration.ofHours(hours), Clock.systemUTC()));
  }
}
