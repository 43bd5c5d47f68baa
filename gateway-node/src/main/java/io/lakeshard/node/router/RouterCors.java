package io.lakeshard.node.router;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Iterator;
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

  private static final String REPLACED = "access-control-allow-";

  /** Removes an upstream's own {@code Access-Control-Allow-*} headers from {@code headers}, which the router's replace. */
  static void removeUpstreams(HttpHeaders headers) {
    List<String> theirs = null;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> all = headers.iteratorCharSequence(); all.hasNext(); ) {
      CharSequence name = all.next().getKey();
      if (AsciiString.regionMatches(name, true, 0, REPLACED, 0, REPLACED.length())) {
        (theirs == null ? theirs = new ArrayList<>(3) : theirs).add(name.toString());
      }
    }
    if (theirs != null) {
      theirs.forEach(headers::remove);
    }
  }
}
