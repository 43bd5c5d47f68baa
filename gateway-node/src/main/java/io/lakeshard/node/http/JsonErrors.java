package io.lakeshard.node.http;

import io.lakeshard.protocol.JsonCodec;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The JSON error answers every route family gives: {@code {"error": CODE, "message": text}}. */
public final class JsonErrors {
  private static final Logger log = LoggerFactory.getLogger(JsonErrors.class);

  private JsonErrors() {}

  public static Route error(StatusCode status, String code, String message) {
    return Directives.complete(HttpResponse.create().withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, JsonCodec.encodeError(code, message)));
  }

  public static Route tooLarge(long maxBodyBytes) {
    return error(StatusCodes.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", "body over " + maxBodyBytes + " bytes");
  }

  /** 503 with Retry-After when the entity ({@code what}: gateway, stream) did not answer in time. */
  public static Route unavailable(String what, Throwable e) {
    log.warn("{} did not answer in time: {}", what, e.getMessage());
    return Directives.complete(HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
        .addHeader(RetryAfter.create(1L))
        .withEntity(ContentTypes.APPLICATION_JSON, JsonCodec.encodeError("UNAVAILABLE", what + " did not answer in time; retry")));
  }

  /** Oversized bodies, malformed requests and timeouts as JSON; anything else is logged and 500. */
  public static ExceptionHandler handler(String what, long maxBodyBytes) {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> tooLarge(maxBodyBytes))
        .match(IllegalRequestException.class, e -> e.info().summary().startsWith("Request too large")
            ? tooLarge(maxBodyBytes)
            : error(StatusCodes.BAD_REQUEST, "BAD_REQUEST", e.info().summary()))
        .match(AskTimeoutException.class, e -> unavailable(what, e))
        .match(TimeoutException.class, e -> unavailable(what, e))
        .matchAny(e -> {
          log.error("unhandled error in a {} request", what, e);
          return error(StatusCodes.INTERNAL_SERVER_ERROR, "INTERNAL", "internal error");
        })
        .build();
  }
}
