package io.lakeshard.node.router;

import java.util.List;
import java.util.Map;

/**
 * The spec's CORS on every router answer: any origin, the spec's methods, and its request headers
 * plus {@code x-backend-location} (so a browser may also send the override). An upstream's own
 * {@code Access-Control-*} headers are replaced by these, so no answer carries two.
 */
final class RouterCors {
  static final List<Map.Entry<String, String>> HEADERS = List.of(
      Map.entry("Access-Control-Allow-Origin", "*"),
      Map.entry("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS"),
      Map.entry("Access-Control-Allow-Headers", "Content-Type, x-backend, x-backend-location"));
  /** How long a browser may keep a preflight's answer (one day). */
  static final Map.Entry<String, String> MAX_AGE = Map.entry("Access-Control-Max-Age", "86400");

  private RouterCors() {}

  /** {@code lowercaseName} is an upstream CORS header the router's replace. */
  static boolean replaces(String lowercaseName) {
    return lowercaseName.startsWith("access-control-allow-");
  }
}
