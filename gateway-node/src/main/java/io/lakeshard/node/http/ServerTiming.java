package io.lakeshard.node.http;

import com.typesafe.config.Config;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Request timing on demand: a request with {@code X-Debug-Timing: 1} (or every request, with
 * {@code lakeshard.http.debug-timing = always}) gets a W3C {@code Server-Timing} header that splits
 * its time into the parts of {@link RequestTiming}. Without it nothing is measured: the timed
 * directives below find no timing on the request and only run their inner route.
 */
public final class ServerTiming {
  public static final String REQUEST_HEADER = "X-Debug-Timing";
  public static final String RESPONSE_HEADER = "Server-Timing";
  private static final AttributeKey<RequestTiming> TIMING =
      AttributeKey.create("lakeshard-timing", RequestTiming.class);

  /** When to time a request. */
  public enum Mode { HEADER, ALWAYS }

  private final Mode mode;

  public ServerTiming(Mode mode) {
    this.mode = mode;
  }

  /** {@code lakeshard.http.debug-timing} ({@code LAKESHARD_DEBUG_TIMING}): header or always. */
  public static ServerTiming fromConfig(Config config) {
    String mode = config.getString("lakeshard.http.debug-timing");
    return switch (mode) {
      case "header" -> new ServerTiming(Mode.HEADER);
      case "always" -> new ServerTiming(Mode.ALWAYS);
      default -> throw new IllegalArgumentException(
          "lakeshard.http.debug-timing (LAKESHARD_DEBUG_TIMING) must be header or always, not '" + mode + "'");
    };
  }

  /** The timing of {@code request}, started now, when it asks for one (or every request is timed). */
  public Optional<RequestTiming> start(HttpRequest request) {
    return start(request.getHeader(REQUEST_HEADER).map(HttpHeader::value));
  }

  /** The timing of a request whose {@value #REQUEST_HEADER} header is {@code asked}, started now, when it wants one. */
  public Optional<RequestTiming> start(Optional<String> asked) {
    return mode == Mode.ALWAYS || asked.filter("1"::equals).isPresent()
        ? Optional.of(new RequestTiming(System.nanoTime())) : Optional.empty();
  }

  /** {@code inner}, its answer with a Server-Timing header when the request is timed. */
  public Route around(Route inner) {
    return Directives.extractRequest(request -> start(request)
        .map(timing -> Directives.mapRequest(untimed -> attach(untimed, timing), () ->
            Directives.mapResponse(response -> response.addHeader(header(timing)), () -> inner)))
        .orElse(inner));
  }

  /** {@code request} carrying {@code timing}, for the code that answers it to add its parts to. */
  public static HttpRequest attach(HttpRequest request, RequestTiming timing) {
    return request.addAttribute(TIMING, timing);
  }

  /** The timing {@code request} carries, if it is timed. */
  public static Optional<RequestTiming> of(HttpRequest request) {
    return request.getAttribute(TIMING);
  }

  /** The Server-Timing header of {@code timing}, as of now. */
  public static HttpHeader header(RequestTiming timing) {
    return RawHeader.create(RESPONSE_HEADER, timing.header());
  }

  /*
   * The calls are suppliers, made once the clock runs: a stage made before it would leave its
   * first moments (the ask sent, on a cold node also class loading) out of the figure, and the
   * entity's own journal figure could come out longer than the entity's.
   */

  /** {@link Directives#onSuccess}, the stage's time reported as {@code entity}. */
  public static <T> Route entity(Supplier<CompletionStage<T>> call, Function<T, Route> inner) {
    return timed(RequestTiming.Part.ENTITY, call, null, inner);
  }

  /**
   * {@link Directives#onSuccess}, the stage's time reported as {@code entity}, and as
   * {@code journal} what {@code journalNanos} reads from its result (the entity's own figure).
   */
  public static <T> Route entity(Supplier<CompletionStage<T>> call, ToLongFunction<T> journalNanos,
                                 Function<T, Route> inner) {
    return timed(RequestTiming.Part.ENTITY, call, journalNanos, inner);
  }

  /** {@link Directives#onSuccess}, the stage's time reported as {@code lake} (lake I/O the route waits for). */
  public static <T> Route lake(Supplier<CompletionStage<T>> call, Function<T, Route> inner) {
    return timed(RequestTiming.Part.LAKE, call, null, inner);
  }

  /** {@code journalNanos}: null when the reply carries no journal figure. */
  private static <T> Route timed(RequestTiming.Part part, Supplier<CompletionStage<T>> call, ToLongFunction<T> journalNanos,
                                 Function<T, Route> inner) {
    return Directives.extractRequest(request -> {
      Optional<RequestTiming> timing = of(request);
      if (timing.isEmpty()) {
        return Directives.onSuccess(call.get(), inner);
      }
      long started = System.nanoTime();
      return Directives.onSuccess(call.get().whenComplete((reply, failure) -> {
        timing.get().add(part, System.nanoTime() - started);
        if (reply != null && journalNanos != null) {
          timing.get().add(RequestTiming.Part.JOURNAL, journalNanos.applyAsLong(reply));
        }
      }), inner);
    });
  }
}
