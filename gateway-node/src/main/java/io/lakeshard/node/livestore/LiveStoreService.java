package io.lakeshard.node.livestore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.core.eventstore.EventStoreSettings;
import io.lakeshard.core.eventstore.LiveStoreHooks;
import io.lakeshard.node.Stages;
import io.lakeshard.node.claims.OpenSessions;
import io.lakeshard.node.livestore.LiveStoreError.Code;
import io.lakeshard.node.metrics.LiveStoreMeters;
import io.lakeshard.node.metrics.OpenCount;
import io.lakeshard.node.metrics.RequestTimer;
import io.lakeshard.node.metrics.Transport;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LiveStore sync service both transports call ({@link LiveStoreSocket}, {@link
 * LiveStoreRoutes}): every limit and refusal is decided here, once. A connection (WebSocket) or
 * request (HTTP) is opened with its query's storeId and payload ({@link #open}); each request is
 * then admitted ({@link #admit}: its storeId is the connection's, its shape and limits, the
 * hooks), and goes to the store's entity through sharding.
 *
 * <p>storeId: 1 to 128 characters of {@code [A-Za-z0-9_-]} (it becomes an entity id and a lake
 * column; LiveStore's own ids, nanoids and UUIDs, fit).
 */
public final class LiveStoreService {
  private static final Logger log = LoggerFactory.getLogger(LiveStoreService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CompletionStage<Optional<LiveStoreError>> ADMITTED =
      CompletableFuture.completedFuture(Optional.empty());
  public static final int MAX_STORE_ID_LENGTH = 128;
  private static final Pattern STORE_ID = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_STORE_ID_LENGTH + "}");

  private final ClusterSharding sharding;
  private final EventStoreSettings limits;
  private final LiveStoreSettings settings;
  private final PayloadCheck payloadCheck;
  private final List<LiveStoreHooks> hooks;
  private final Duration askTimeout;
  private final LiveStoreMeters meters;

  public LiveStoreService(ActorSystem<?> system, EventStoreSettings limits, LiveStoreSettings settings,
                          PayloadCheck payloadCheck, List<LiveStoreHooks> hooks, Duration askTimeout,
                          LiveStoreMeters meters) {
    this.meters = meters;
    this.sharding = ClusterSharding.get(system);
    this.limits = limits;
    this.settings = settings;
    this.payloadCheck = payloadCheck;
    this.hooks = List.copyOf(hooks);
    this.askTimeout = askTimeout;
  }

  /**
   * A connection's (or HTTP request's) store and sync payload, checked; {@code holder}: whose
   * revocable token admitted it (a WebSocket is cut when it is revoked or expires).
   */
  public record Store(String storeId, Optional<JsonNode> payload, Optional<OpenSessions.SessionHolder> holder) {}

  /** What {@link #open} gives: the store, or the 400 answer's text. */
  public sealed interface Opened permits Opened.Accepted, Opened.Refused {
    record Accepted(Store store) implements Opened {}

    record Refused(String text) implements Opened {}
  }

  /**
   * The query's {@code storeId} and {@code payload} (as the server's query parsing decoded it:
   * the client encoded it once more, so it is percent-decoded again, then parsed as JSON), then the
   * payload check.
   */
  public CompletionStage<Opened> open(Optional<String> storeIdParam, Optional<String> payloadParam) {
    String storeId = storeIdParam.orElse("");
    if (!validStoreId(storeId)) {
      return refused(Code.INVALID_STORE_ID.name(), "storeId must be 1 to " + MAX_STORE_ID_LENGTH
          + " characters of A-Z a-z 0-9 _ -");
    }
    Optional<JsonNode> payload;
    try {
      payload = payloadParam.map(LiveStoreService::payload);
    } catch (IllegalArgumentException e) {
      return refused(Code.INVALID_PAYLOAD.name(), e.getMessage());
    }
    CompletionStage<PayloadCheck.Admission> checked;
    try {
      checked = payloadCheck.check(storeId, payload);
    } catch (RuntimeException e) {
      checked = CompletableFuture.failedFuture(e);
    }
    return checked.handle((admission, failed) -> {
      if (failed != null) {
        log.warn("payload check for store {} failed: {}", storeId, failed.toString());
        return new Opened.Refused(Code.INVALID_PAYLOAD + ": the payload check failed");
      }
      return admission instanceof PayloadCheck.Admitted admitted
          ? new Opened.Accepted(new Store(storeId, payload, admitted.holder()))
          : new Opened.Refused(((PayloadCheck.Refused) admission).refusal().text());
    });
  }

  /** 1 to 128 characters of {@code [A-Za-z0-9_-]}. */
  public static boolean validStoreId(String storeId) {
    return STORE_ID.matcher(storeId).matches();
  }

  private static JsonNode payload(String param) {
    String json;
    try {
      // decodeURIComponent: percent escapes only, a '+' stays a '+'.
      json = URLDecoder.decode(param.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("payload is not URI-encoded: " + e.getMessage());
    }
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new IllegalArgumentException("payload is empty, not JSON");
      }
      return node;
    } catch (IOException e) {
      throw new IllegalArgumentException("payload is not JSON");
    }
  }

  private static CompletionStage<Opened> refused(String code, String message) {
    return CompletableFuture.completedFuture(new Opened.Refused(code + ": " + message));
  }

  /** Largest client message (WebSocket frame, HTTP body) read; larger ones are refused unread. */
  public long maxMessageBytes() {
    return limits.maxMessageBytes();
  }

  /**
   * Whether {@code request} may go to the store: of this transport, for the connection's store,
   * within the limits, and let through by every hook (in order). Empty: admitted.
   */
  public CompletionStage<Optional<LiveStoreError>> admit(Store store, RpcFrame.Request request) {
    Optional<LiveStoreError> refused = check(store, request);
    if (refused.isPresent()) {
      return CompletableFuture.completedFuture(refused);
    }
    if (request instanceof RpcFrame.Push push && !push.batch().isEmpty()) {
      return runHooks(store, hook -> hook.onPush(store.storeId(), store.payload(), push.batch()));
    }
    if (request instanceof RpcFrame.Pull pull) {
      return runHooks(store, hook -> hook.onPull(store.storeId(), store.payload(), pull.afterSeqNum(), pull.live()));
    }
    return ADMITTED;
  }

  private Optional<LiveStoreError> check(Store store, RpcFrame.Request request) {
    if (request instanceof RpcFrame.BadRequest bad) {
      return unknown(Code.INVALID_REQUEST, bad.message());
    }
    String storeId = request instanceof RpcFrame.Push push ? push.storeId()
        : request instanceof RpcFrame.Pull pull ? pull.storeId() : ((RpcFrame.HttpPing) request).storeId();
    if (!storeId.equals(store.storeId())) {
      return unknown(Code.INVALID_REQUEST, "the request's storeId is not the connection's (" + store.storeId() + ")");
    }
    if (request instanceof RpcFrame.Push push && push.batch().size() > limits.maxPushEvents()) {
      return unknown(Code.INVALID_PUSH, push.batch().size() + " events in one push; at most " + limits.maxPushEvents());
    }
    return Optional.empty();
  }

  private static Optional<LiveStoreError> unknown(Code code, String message) {
    return Optional.of(new LiveStoreError.Unknown(code, message));
  }

  private interface HookCall {
    CompletionStage<Void> call(LiveStoreHooks hook);
  }

  /**
   * The hooks one after another; the first that fails (or throws) refuses the request, logged.
   * Without hooks nothing is chained or timed: no timeout task per push and pull.
   */
  private CompletionStage<Optional<LiveStoreError>> runHooks(Store store, HookCall call) {
    if (hooks.isEmpty()) {
      return ADMITTED;
    }
    CompletionStage<Void> chain = LiveStoreHooks.DONE;
    for (LiveStoreHooks hook : hooks) {
      chain = chain.thenCompose(done -> {
        try {
          return call.call(hook);
        } catch (RuntimeException e) {
          return CompletableFuture.failedFuture(e);
        }
      });
    }
    return chain.toCompletableFuture().orTimeout(askTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((done, failed) -> {
          if (failed == null) {
            return Optional.empty();
          }
          Throwable cause = failed instanceof CompletionException && failed.getCause() != null
              ? failed.getCause() : failed;
          log.warn("a LiveStore hook refused a request of store {}: {}", store.storeId(), cause.toString());
          return unknown(Code.HOOK_REFUSED, String.valueOf(cause.getMessage()));
        });
  }

  /** A WebSocket push's reply, or its timeout (null), for the metrics: the push was sent at {@code startNanos}. */
  public void pushAnswered(EventStore.PushReply reply, long startNanos) {
    meters.on(Transport.WS).push()
        .record(reply == null ? RequestTimer.Outcome.UNAVAILABLE : outcome(reply), startNanos);
  }

  /** The open WebSocket sessions' gauge. */
  public OpenCount webSockets() {
    return meters.webSockets();
  }

  /** An admitted push, answered to {@code replyTo} (a WebSocket session: the same actor as its subscriber). */
  public void push(Store store, RpcFrame.Push push, ActorRef<EventStore.PushReply> replyTo) {
    entity(store).tell(new EventStore.Push(push.batch(), push.backendId(), replyTo));
  }

  /** An admitted push, its reply asked for (HTTP); no answer in time is Unavailable. */
  public CompletionStage<EventStore.PushReply> push(Store store, RpcFrame.Push push) {
    long started = System.nanoTime();
    return meters.on(Transport.HTTP).push().time(started, Stages.direct(entity(store).<EventStore.PushReply>ask(
            replyTo -> new EventStore.Push(push.batch(), push.backendId(), replyTo), askTimeout))
        .exceptionally(failed -> new EventStore.Unavailable("the store did not answer in time")),
        LiveStoreService::outcome);
  }

  /** One page after {@code afterSeqNum} for a pull over {@code transport}; no answer in time is Unavailable. */
  public CompletionStage<EventStore.PullReply> page(Store store, long afterSeqNum, Optional<String> backendId,
                                                   Transport transport) {
    long started = System.nanoTime();
    return meters.on(transport).pull().time(started, Stages.direct(entity(store).<EventStore.PullReply>ask(
            replyTo -> new EventStore.Pull(afterSeqNum, backendId, replyTo), askTimeout))
        .exceptionally(failed -> new EventStore.Unavailable("the store did not answer in time")),
        reply -> reply instanceof EventStore.Page ? RequestTimer.Outcome.OK : outcome(reply));
  }

  private static RequestTimer.Outcome outcome(Object reply) {
    if (reply instanceof EventStore.Unavailable) {
      return RequestTimer.Outcome.UNAVAILABLE;
    }
    return reply instanceof EventStore.Accepted ? RequestTimer.Outcome.OK : RequestTimer.Outcome.REFUSED;
  }

  public void subscribe(Store store, ActorRef<EventStore.LiveUpdate> subscriber, long afterSeqNum) {
    entity(store).tell(new EventStore.Subscribe(subscriber, afterSeqNum));
  }

  public void unsubscribe(Store store, ActorRef<EventStore.LiveUpdate> subscriber) {
    entity(store).tell(new EventStore.Unsubscribe(subscriber));
  }

  /** A push's reply as the protocol's error; empty when accepted. */
  public static Optional<LiveStoreError> refusal(EventStore.PushReply reply) {
    if (reply instanceof EventStore.ServerAhead ahead) {
      return Optional.of(new LiveStoreError.ServerAhead(ahead.minimumExpectedNum(), ahead.providedNum()));
    } else if (reply instanceof EventStore.BackendIdMismatch mismatch) {
      return Optional.of(new LiveStoreError.BackendIdMismatch(mismatch.expected(), mismatch.received()));
    } else if (reply instanceof EventStore.InvalidPush invalid) {
      return unknown(Code.INVALID_PUSH, invalid.message());
    } else if (reply instanceof EventStore.Unavailable unavailable) {
      // LiveStore's client retries a push's UnknownError with backoff (LeaderSyncProcessor).
      return unknown(Code.UNAVAILABLE, unavailable.message());
    }
    return Optional.empty();
  }

  /** A pull's refusal as the protocol's error (a page is no refusal). */
  public static LiveStoreError refusal(EventStore.PullReply reply) {
    if (reply instanceof EventStore.BackendIdMismatch mismatch) {
      return new LiveStoreError.BackendIdMismatch(mismatch.expected(), mismatch.received());
    }
    return new LiveStoreError.Unknown(Code.UNAVAILABLE, ((EventStore.Unavailable) reply).message());
  }

  /** Events per live chunk and its bytes: the store's page limits. */
  public EventStoreSettings limits() {
    return limits;
  }

  public LiveStoreSettings settings() {
    return settings;
  }

  public Duration askTimeout() {
    return askTimeout;
  }

  private EntityRef<EventStore.Command> entity(Store store) {
    return sharding.entityRefFor(EventStore.ENTITY_TYPE_KEY, store.storeId());
  }
}
