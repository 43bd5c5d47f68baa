package io.lakeshard.node.http;

import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Request bodies held to a limit, read whole. A body whose declared length is over the limit is
 * refused with 413, but first read and dropped (up to {@code drainUpTo}): answering while the
 * client still sends makes the server close the connection under it, and the client sees a reset
 * (EPIPE) instead of the 413. The drain is bounded in size and in time (the read timeout), so a
 * client trickling bytes holds the connection no longer than any other slow body.
 */
public final class RequestBodies {
  private final Duration readTimeout;
  private final long drainUpTo;
  private final JsonErrors.Family errors;

  /** {@code errors}: the route family whose 413 body this answers with. */
  public RequestBodies(Duration readTimeout, long drainUpTo, JsonErrors.Family errors) {
    this.readTimeout = readTimeout;
    this.drainUpTo = drainUpTo;
    this.errors = errors;
  }

  /** The body as bytes, at most {@code maxBytes} of it (413 otherwise). */
  public Route strict(long maxBytes, Function<byte[], Route> inner) {
    return Directives.extractRequestEntity(entity -> {
      long declared = entity.getContentLengthOption().orElse(0L);
      if (declared > maxBytes) {
        return declared > drainUpTo
            ? JsonErrors.tooLarge(errors, maxBytes)
            : Directives.extractMaterializer(materializer -> Directives.onComplete(
                entity.withoutSizeLimit().getDataBytes().completionTimeout(readTimeout)
                    .runWith(Sink.ignore(), materializer),
                drained -> JsonErrors.tooLarge(errors, maxBytes)));
      }
      return Directives.withSizeLimit(maxBytes, () -> Directives.extractStrictEntity(readTimeout, maxBytes,
          strict -> inner.apply(strict.getData().toArray())));
    });
  }
}
