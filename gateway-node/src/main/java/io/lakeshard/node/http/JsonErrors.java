package io.lakeshard.node.http;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
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

/**
 * The JSON error answers. The sync and admin routes answer as LakeSync's gateway does:
 * {@code {"error": text, "code": CODE, "requestId": id}}, with LakeSync's codes and the request's
 * {@code X-Request-Id} ({@link CommonHeaders} gives every request one). The Durable Streams
 * routes keep their own body, {@code {"error": CODE, "message": text}} ({@link Family#STREAMS}).
 */
public final class JsonErrors {
  private static final Logger log = LoggerFactory.getLogger(JsonErrors.class);
  /** An entity that did not answer in time is usually moving (rebalance, restart): soon is fine. */
  private static final Duration UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(1);

  // LakeSync's codes (its API_ERROR_CODES).
  public static final String VALIDATION_ERROR = "VALIDATION_ERROR";
  public static final String SCHEMA_ERROR = "SCHEMA_ERROR";
  public static final String BACKPRESSURE_ERROR = "BACKPRESSURE_ERROR";
  public static final String CLOCK_DRIFT = "CLOCK_DRIFT";
  public static final String AUTH_ERROR = "AUTH_ERROR";
  public static final String FORBIDDEN = "FORBIDDEN";
  public static final String NOT_FOUND = "NOT_FOUND";
  public static final String FLUSH_ERROR = "FLUSH_ERROR";
  public static final String INTERNAL_ERROR = "INTERNAL_ERROR";
  /** Lakeshard's own: an entity did not answer in time (503 with Retry-After). */
  public static final String UNAVAILABLE = "UNAVAILABLE";

  /** LakeSync's error body. */
  public record ErrorBody(String error, String code, String requestId) {}

  /** The Durable Streams routes' error body. */
  public record StreamErrorBody(String error, String message) {}

  /** Whose error bodies, and the codes of the errors every family has. */
  public enum Family {
    /** The sync and admin routes: LakeSync's body and codes. */
    SYNC(VALIDATION_ERROR, VALIDATION_ERROR, INTERNAL_ERROR),
    /** The Durable Streams routes, as they always answered. */
    STREAMS("PAYLOAD_TOO_LARGE", "BAD_REQUEST", "INTERNAL");

    private final String tooLarge;
    private final String badRequest;
    private final String internal;

    Family(String tooLarge, String badRequest, String internal) {
      this.tooLarge = tooLarge;
      this.badRequest = badRequest;
      this.internal = internal;
    }
  }

  private JsonErrors() {}

  /** A sync or admin error answer. */
  public static Route error(StatusCode status, String code, String message) {
    return error(Family.SYNC, status, code, message);
  }

  public static Route error(Family family, StatusCode status, String code, String message) {
    return switch (family) {
      case SYNC -> Directives.optionalHeaderValueByName(CommonHeaders.REQUEST_ID, requestId ->
          JsonBodies.complete(status, new ErrorBody(message, code, requestId.orElse(null))));
      case STREAMS -> JsonBodies.complete(status, new StreamErrorBody(code, message));
    };
  }

  public static Route tooLarge(Family family, long maxBodyBytes) {
    return error(family, StatusCodes.CONTENT_TOO_LARGE, family.tooLarge, "body over " + maxBodyBytes + " bytes");
  }

  /** 503 with Retry-After (whole seconds, at least 1). */
  public static Route retryLater(Family family, String code, String message, Duration retryAfter) {
    return Directives.respondWithHeader(RetryAfter.create(Math.max(1, retryAfter.toSeconds())), () ->
        error(family, StatusCodes.SERVICE_UNAVAILABLE, code, message));
  }

  /** 503 with Retry-After when the entity ({@code what}: gateway, stream) did not answer in time. */
  private static Route unavailable(Family family, String what, Throwable e) {
    log.warn("{} did not answer in time: {}", what, e.getMessage());
    return retryLater(family, UNAVAILABLE, what + " did not answer in time; retry", UNAVAILABLE_RETRY_AFTER);
  }

  /** Oversized bodies, malformed requests and timeouts as JSON; anything else is logged and 500. */
  public static ExceptionHandler handler(Family family, String what, long maxBodyBytes) {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> tooLarge(family, maxBodyBytes))
        .match(IllegalRequestException.class, e -> e.info().summary().startsWith("Request too large")
            ? tooLarge(family, maxBodyBytes)
            : error(family, StatusCodes.BAD_REQUEST, family.badRequest, e.info().summary()))
        .match(AskTimeoutException.class, e -> unavailable(family, what, e))
        .match(TimeoutException.class, e -> unavailable(family, what, e))
        .matchAny(e -> {
          log.error("unhandled error in a {} request", what, e);
          return error(family, StatusCodes.INTERNAL_SERVER_ERROR, family.internal, "internal error");
        })
        .build();
  }

  /**
   * {@code inner} (sync and admin routes) with its exceptions and Pekko's rejections (404, 405,
   * ...) answered in LakeSync's body, naming the request's id.
   */
  public static Route answeringErrors(String what, long maxBodyBytes, Supplier<Route> inner) {
    return Directives.handleExceptions(handler(Family.SYNC, what, maxBodyBytes), () ->
        Directives.optionalHeaderValueByName(CommonHeaders.REQUEST_ID, requestId ->
            Directives.handleRejections(rejections(requestId.orElse(null)), inner)));
  }

  private static RejectionHandler rejections(String requestId) {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (!(response.entity() instanceof HttpEntity.Strict strict)
          || !strict.getContentType().mediaType().equals(MediaTypes.TEXT_PLAIN)) {
        return response;
      }
      return response.withEntity(ContentTypes.APPLICATION_JSON, JsonBodies.bytes(
          new ErrorBody(strict.getData().utf8String(), rejectionCode(response.status()), requestId)));
    });
  }

  /** LakeSync's code for a status Pekko rejected a request with; its reason phrase for the rest (405, 415, ...). */
  private static String rejectionCode(StatusCode status) {
    return switch (status.intValue()) {
      case 400, 413 -> VALIDATION_ERROR;
      case 401 -> AUTH_ERROR;
      case 403 -> FORBIDDEN;
      case 404 -> NOT_FOUND;
      case 500 -> INTERNAL_ERROR;
      default -> status.reason().toUpperCase(Locale.ROOT).replace(' ', '_');
    };
  }
}
