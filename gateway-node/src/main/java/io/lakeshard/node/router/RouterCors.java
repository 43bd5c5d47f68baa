package io.lakeshard.node.router;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The spec's CORS on every router answer: any origin, the spec's methods, and its request headers
 * plus {@code x-backend-location} (so a browser may also send the override). An upstream's own
 * {@code Access-Control-*} headers are replaced by these, so no answer carries two.
 */
final class RouterCors {
  static final List<HttpHeader> HEADERS = List.of(
      RawHeader.create("Access-Control-Allow-Origin", "*"),
      RawHeader.create("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS"),
      RawHeader.create("Access-Control-Allow-Headers", "Content-Type, x-backend, x-backend-location"));

  private RouterCors() {}

  static boolean replaces(HttpHeader header) {
    return header.lowercaseName().startsWith("access-control-allow-");
  }
}
