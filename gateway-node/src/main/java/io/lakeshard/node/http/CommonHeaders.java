package io.lakeshard.node.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The headers LakeSync's worker puts on every answer, added once around the node's routes: the
 * request's {@code X-Request-Id} (the incoming one, or a new UUID the request then carries too, so
 * error bodies can name it), CORS ({@link Cors}), {@code X-Content-Type-Options: nosniff},
 * {@code X-Frame-Options: DENY}, and {@code Cache-Control: no-store} on sync and admin paths.
 * A header the inner route already set is left as it is: the Durable Streams routes send their
 * own CORS and nosniff headers, which their protocol defines.
 */
public final class CommonHeaders {
  public static final String REQUEST_ID = "X-Request-Id";
  private static final String NOSNIFF = "X-Content-Type-Options";
  private static final String FRAME_OPTIONS = "X-Frame-Options";
  private static final String CACHE_CONTROL = "Cache-Control";
  private static final HttpHeader NOSNIFF_HEADER = RawHeader.create(NOSNIFF, "nosniff");
  private static final HttpHeader DENY_FRAMES = RawHeader.create(FRAME_OPTIONS, "DENY");
  private static final HttpHeader NO_STORE = RawHeader.create(CACHE_CONTROL, "no-store");
  private static final List<String> NO_STORE_PATHS = List.of("/sync/", "/admin/", "/v1/sync/", "/v1/admin/");

  private final Cors cors;

  public CommonHeaders(Cors cors) {
    this.cors = cors;
  }

  /** {@code inner} with the common headers on its every answer. */
  public Route around(Supplier<Route> inner) {
    return Directives.extractRequest(request -> {
      Optional<String> incoming = request.getHeader(REQUEST_ID).map(HttpHeader::value);
      String requestId = incoming.orElseGet(CommonHeaders::newRequestId);
      List<HttpHeader> corsHeaders = cors.headers(request.getHeader("Origin").map(HttpHeader::value));
      boolean noStore = noStore(request);
      return Directives.mapRequest(
          unchanged -> incoming.isPresent() ? unchanged : unchanged.addHeader(RawHeader.create(REQUEST_ID, requestId)),
          () -> Directives.mapResponse(
              response -> withCommonHeaders(response, requestId, corsHeaders, noStore), inner));
    });
  }

  /**
   * A CORS preflight ({@code OPTIONS} on any path) answered 204 before any authentication, as
   * LakeSync's worker answers it; {@link #around} adds the CORS headers.
   */
  public static Route preflight() {
    return Directives.options(() -> Directives.complete(StatusCodes.NO_CONTENT));
  }

  private static HttpResponse withCommonHeaders(HttpResponse response, String requestId, List<HttpHeader> corsHeaders,
                                                boolean noStore) {
    List<HttpHeader> added = new ArrayList<>(corsHeaders.size() + 4);
    added.add(RawHeader.create(REQUEST_ID, requestId));
    if (response.getHeader(Cors.ALLOW_ORIGIN).isEmpty()) {
      added.addAll(corsHeaders);
    }
    if (response.getHeader(NOSNIFF).isEmpty()) {
      added.add(NOSNIFF_HEADER);
    }
    if (response.getHeader(FRAME_OPTIONS).isEmpty()) {
      added.add(DENY_FRAMES);
    }
    if (noStore && response.getHeader(CACHE_CONTROL).isEmpty()) {
      added.add(NO_STORE);
    }
    return response.addHeaders(added);
  }

  private static boolean noStore(HttpRequest request) {
    String path = request.getUri().path();
    for (String prefix : NO_STORE_PATHS) {
      if (path.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A random (version 4) UUID. Request ids need to be unique, not unguessable: ThreadLocalRandom
   * spares every request a draw from the one SecureRandom that {@link UUID#randomUUID} locks.
   */
  static String newRequestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(high, low).toString();
  }
}
