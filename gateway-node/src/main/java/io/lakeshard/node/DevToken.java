package io.lakeshard.node;

import java.time.Clock;
import java.time.Duration;

/** Prints a dev token signed with LAKESHARD_JWT_SECRET: {@code DevToken <clientId> <gatewayId> [admin] [ttl-hours]}. */
public final class DevToken {
  public static void main(String[] args) {
    String secret = System.getenv("LAKESHARD_JWT_SECRET");
    if (args.length < 2 || secret == null || secret.isEmpty()) {
      System.err.println("usage: LAKESHARD_JWT_SECRET=... scripts/token <clientId> <gatewayId> [admin] [ttl-hours]");
      System.exit(2);
    }
    boolean admin = args.length > 2 && args[2].equals("admin");
    long hours = args.length > 3 ? Long.parseLong(args[3]) : 24;
    System.out.println(JwtAuth.sign(secret, args[0], args[1], admin, Duration.ofHours(hours), Clock.systemUTC()));
  }
}
