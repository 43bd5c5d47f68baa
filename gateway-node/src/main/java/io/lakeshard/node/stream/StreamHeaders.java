package io.lakeshard.node.stream;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The Durable Streams protocol's HTTP headers: their names, the CORS headers every response
 * carries, and reading a request's into {@link StreamService}'s requests (values as sent; the
 * service judges them).
 */
final class StreamHeaders {
  static final String NEXT_OFFSET = "Stream-Next-Offset";
  static final String UP_TO_DATE = "Stream-Up-To-Date";
  static final String CURSOR = "Stream-Cursor";
  static final String CLOSED = "Stream-Closed";
  static final String SEQ = "Stream-Seq";
  static final String TTL = "Stream-TTL";
  static final String EXPIRES_AT = "Stream-Expires-At";
  static final String PRODUCER_ID = "Producer-Id";
  static final String PRODUCER_EPOCH = "Producer-Epoch";
  static final String PRODUCER_SEQ = "Producer-Seq";
  static final String PRODUCER_EXPECTED_SEQ = "Producer-Expected-Seq";
  static final String PRODUCER_RECEIVED_SEQ = "Producer-Received-Seq";
  static final String FORKED_FROM = "Stream-Forked-From";
  static final String FORK_OFFSET = "Stream-Fork-Offset";
  static final String FORK_SUB_OFFSET = "Stream-Fork-Sub-Offset";
  static final String SSE_DATA_ENCODING = "Stream-SSE-Data-Encoding";

  /** On every response: browsers may call from any origin and read the protocol's headers. */
  static final List<HttpHeader> COMMON = List.of(
      RawHeader.create("Access-Control-Allow-Origin", "*"),
      RawHeader.create("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, HEAD, OPTIONS"),
      RawHeader.create("Access-Control-Allow-Headers", String.join(", ", "content-type", "authorization",
          "if-none-match", SEQ, TTL, EXPIRES_AT, CLOSED, PRODUCER_ID, PRODUCER_EPOCH, PRODUCER_SEQ, FORKED_FROM,
          FORK_OFFSET, FORK_SUB_OFFSET)),
      RawHeader.create("Access-Control-Expose-Headers", String.join(", ", NEXT_OFFSET, CURSOR, UP_TO_DATE, CLOSED,
          TTL, EXPIRES_AT, SSE_DATA_ENCODING, PRODUCER_EPOCH, PRODUCER_SEQ, PRODUCER_EXPECTED_SEQ,
          PRODUCER_RECEIVED_SEQ, "ETag", "Location", "Content-Type", "Content-Encoding", "Vary")),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Cross-Origin-Resource-Policy", "cross-origin"));

  private StreamHeaders() {}

  static StreamService.Create create(HttpRequest request, byte[] body) {
    return new StreamService.Create(mediaType(request), header(request, TTL), header(request, EXPIRES_AT),
        header(request, FORKED_FROM), header(request, FORK_OFFSET), header(request, FORK_SUB_OFFSET),
        flag(request, CLOSED), body);
  }

  static StreamService.Append append(HttpRequest request, byte[] body) {
    return new StreamService.Append(mediaType(request), header(request, SEQ), header(request, PRODUCER_ID),
        header(request, PRODUCER_EPOCH), header(request, PRODUCER_SEQ), flag(request, CLOSED), body);
  }

  static StreamService.Read read(String id, HttpRequest request) {
    return new StreamService.Read(id, request.getUri().query().getAll("offset"),
        request.getUri().query().get("live"), request.getUri().query().get("cursor").orElse(null));
  }

  static Optional<String> header(HttpRequest request, String name) {
    return request.getHeader(name).map(HttpHeader::value);
  }

  private static boolean flag(HttpRequest request, String name) {
    return header(request, name).map("true"::equalsIgnoreCase).orElse(false);
  }

  /**
   * The request's media type as a stream stores it (no parameters: Pekko adds charset=UTF-8 to
   * every text type), null when the request had no Content-Type header.
   */
  private static String mediaType(HttpRequest request) {
    ContentType type = request.entity().getContentType();
    if (!ExplicitContentType.present(type)) {
      return null;
    }
    return type.mediaType().toString().toLowerCase(Locale.ROOT);
  }
}
