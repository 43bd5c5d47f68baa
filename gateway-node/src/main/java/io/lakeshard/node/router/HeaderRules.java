package io.lakeshard.node.router;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;

/**
 * Which headers the router passes on, transport-neutral: hop-by-hop headers (RFC 9110 §7.6.1) and
 * those a message's Connection header names never cross it; {@code Host} is the upstream's, the
 * client's goes as {@code X-Forwarded-Host}; {@code X-Forwarded-For} gains the client's address;
 * an upstream's own CORS headers give way to the router's ({@link RouterCors}). A message's headers
 * are edited where they are rather than copied: the copy was a third of what a request allocated.
 */
final class HeaderRules {
  /**
   * Hop-by-hop headers, Host, the forwarding headers the router sets itself, and Expect (the
   * router's listener answers 100-continue itself).
   */
  private static final List<AsciiString> NOT_FORWARDED = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
      HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION,
      HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
      HttpHeaderNames.HOST, HttpHeaderNames.EXPECT, AsciiString.cached("x-forwarded-proto"),
      AsciiString.cached("x-forwarded-host"));
  static final AsciiString FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

  private HeaderRules() {}

  /** Removes from {@code headers} what is never passed on: the fixed names and the message's Connection tokens. */
  static void removeNotForwarded(HttpHeaders headers) {
    if (connectionNamesMore(headers)) {
      for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) { // a copy: safe to remove from headers meanwhile
        for (String token : value.split(",")) {
          headers.remove(token.trim());
        }
      }
    }
    for (AsciiString name : NOT_FORWARDED) {
      headers.remove(name);
    }
  }

  /** Whether a Connection header names more than keep-alive or close (which are dropped anyway): rare. */
  private static boolean connectionNamesMore(HttpHeaders headers) {
    for (Iterator<String> values = headers.valueStringIterator(HttpHeaderNames.CONNECTION); values.hasNext(); ) {
      String value = values.next();
      if (!value.equalsIgnoreCase("keep-alive") && !value.equalsIgnoreCase("close")) {
        return true;
      }
    }
    return false;
  }

  /** {@code earlier} (the client's X-Forwarded-For values, in order) followed by the client's address. */
  static String forwardedFor(List<String> earlier, String client) {
    return earlier.isEmpty() ? client : String.join(", ", earlier) + ", " + client;
  }
}
