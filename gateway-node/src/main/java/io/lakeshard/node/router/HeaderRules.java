package io.lakeshard.node.router;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which headers the router passes on, transport-neutral: hop-by-hop headers (RFC 9110 §7.6.1) and
 * those a message's Connection header names never cross it; {@code Host} is the upstream's, the
 * client's goes as {@code X-Forwarded-Host}; {@code X-Forwarded-For} gains the client's address;
 * an upstream's own CORS headers give way to the router's ({@link RouterCors}).
 */
final class HeaderRules {
  /**
   * Hop-by-hop headers, Host, the forwarding headers the router sets itself, and Expect (the
   * router's listener answers 100-continue itself).
   */
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
      "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "expect",
      "x-forwarded-proto", "x-forwarded-host");
  static final String FORWARDED_FOR = "x-forwarded-for";

  private HeaderRules() {}

  /** The lower-case names of {@code headers} never passed on: the fixed ones plus the message's Connection tokens. */
  static Set<String> dropped(Iterable<Map.Entry<String, String>> headers) {
    Set<String> dropped = NOT_FORWARDED;
    for (Map.Entry<String, String> header : headers) {
      if (header.getKey().equalsIgnoreCase("connection")) {
        if (dropped == NOT_FORWARDED) {
          dropped = new HashSet<>(NOT_FORWARDED); // copied only for the rare message that names extra ones
        }
        for (String token : header.getValue().split(",")) {
          dropped.add(token.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    return dropped;
  }

  /** {@code earlier} (the client's X-Forwarded-For, joined; null when none) followed by the client's address. */
  static String forwardedFor(String earlier, String client) {
    return earlier == null ? client : earlier + ", " + client;
  }
}
