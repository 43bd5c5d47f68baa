package io.lakeshard.node.http;

import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * LakeSync's CORS answer for the sync and admin routes. With no allowed origins configured, a
 * request's {@code Origin} is echoed ({@code *} without one); with a list, only an exact match is
 * echoed, and any other origin gets no CORS headers at all, so the browser refuses the call.
 */
public record Cors(List<String> allowedOrigins) {
  private static final List<HttpHeader> POLICY = List.of(
      RawHeader.create("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
      RawHeader.create("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Client-Id, X-Auth-Claims"),
      RawHeader.create("Access-Control-Expose-Headers", "X-Checkpoint-Hlc, X-Sync-Rules-Version, X-Request-Id"),
      RawHeader.create("Access-Control-Max-Age", "86400"));
  public static final String ALLOW_ORIGIN = "Access-Control-Allow-Origin";
  /** The common answer (a client that is no browser sends no Origin), built once. */
  private static final List<HttpHeader> ANY_ORIGIN = withOrigin("*");

  public Cors {
    allowedOrigins = List.copyOf(allowedOrigins);
  }

  /** The CORS headers of the answer to a request from {@code origin}; empty for an origin not allowed. */
  public List<HttpHeader> headers(Optional<String> origin) {
    if (!allowedOrigins.isEmpty()) {
      return origin.filter(allowedOrigins::contains).map(Cors::withOrigin).orElse(List.of());
    }
    return origin.map(Cors::withOrigin).orElse(ANY_ORIGIN);
  }

  private static List<HttpHeader> withOrigin(String origin) {
    HttpHeader[] headers = new HttpHeader[POLICY.size() + 1];
    headers[0] = RawHeader.create(ALLOW_ORIGIN, origin);
    for (int i = 0; i < POLICY.size(); i++) {
      headers[i + 1] = POLICY.get(i);
    }
    return List.of(headers);
  }
}
