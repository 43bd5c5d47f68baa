package io.lakeshard.node.http;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The JSON error answers every route family gives: {@code {"error": CODE, "message": text}}. */
public final class JsonErrors {
  private static final Logger log = LoggerFactory.getLogger(JsonErrors.class);
  /** An entity that did not answer in time is usually moving (rebalance, restart): soon is fine. */
  private static final Duration UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(1);

  /** The error body. */
  public record ErrorBody(String error, String message) {}

  private JsonErrors() {}

  public static Route error(StatusCode status, String code, String message) {
    return Directives.complete(response(status, code, message));
  }

  public static Route tooLarge(long maxBodyBytes) {
    return error(StatusCodes.CONTENT_TOO_LARGE, "PAYLOAD_TOO_LARGE", "body over " + maxBodyBytes + " bytes");
  }

  /** 503 with Retry-After (whole seconds, at least 1). */
  public static Route retryLater(String code, String message, Duration retryAfter) {
    return Directives.complete(response(StatusCodes.SERVICE_UNAVAILABLE, code, message)
        .addHeader(RetryAfter.create(Math.max(1, retryAfter.toSeconds()))));
  }

  /** 503 with Retry-After when the entity ({@code what}: gateway, stream) did not answer in time. */
  public static Route unavailable(String what, Throwable e) {
    log.warn("{} did not answer in time: {}", what, e.getMessage());
    return retryLater("UNAVAILABLE", what + " did not answer in time; retry", UNAVAILABLE_RETRY_AFTER);
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

  /** Pekko's rejections (404, 405, ...) with the same JSON error body as every other error. */
  public static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (!(response.entity() instanceof HttpEntity.Strict strict)
          || !strict.getContentType().mediaType().equals(MediaTypes.TEXT_PLAIN)) {
        return response;
      }
      String code = response.status().reason().toUpperCase(Locale.ROOT).replace(' ', '_');
      return response.withEntity(ContentTypes.APPLICATION_JSON,
          JsonBodies.bytes(new ErrorBody(code, strict.getData().utf8String())));
    });
  }

  private static HttpResponse response(StatusCode status, String code, String message) {
    return JsonBodies.response(status, new ErrorBody(code, message));
  }
}
