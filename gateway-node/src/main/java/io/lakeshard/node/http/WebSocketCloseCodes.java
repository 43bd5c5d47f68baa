package io.lakeshard.node.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.settings.WebSocketSettings;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * Serves a message-level WebSocket handler on Pekko HTTP's own lower WebSocket layers and our
 * message layer ({@link MessageLayer}): every inbound message arrives strict, and a handler that
 * fails with {@link CloseWith} closes the connection with that status code (Pekko HTTP's public
 * API closes every failed handler with 1011). This uses Pekko HTTP's internal WebSocket stack
 * (the layers {@code WebSocket.stack} composes), pinned with the Pekko HTTP version in the parent
 * pom. The handler sends strict messages only.
 */
public final class WebSocketCloseCodes {
  public static final int PROTOCOL_ERROR = 1002;
  public static final int UNSUPPORTED_DATA = 1003;
  public static final int POLICY_VIOLATION = 1008;
  public static final int MESSAGE_TOO_BIG = 1009;
  /** The gateway is shedding load (its lake is behind): reconnect after a while. */
  public static final int TRY_AGAIN_LATER = 1013;
  /**
   * Workspace auth ended the session (README "Workspace auth"): the reason starts with {@code
   * TOKEN_VERSION_STALE} (the user's memberships changed) or {@code GRACE_PERIOD_EXPIRED}. An
   * application code (4000-4999), so no client mistakes it for a protocol error; LiveStore's
   * client treats any close but 1000/1006 as an error and reconnects with backoff (Effect's
   * RpcClient socket protocol), and that reconnect with the old token is refused at the upgrade
   * with 400 {@code CODE: message}.
   */
  public static final int SESSION_REVOKED = 4001;
  private static final int MAX_REASON_BYTES = 123;

  /** Fail the handler with this to close the connection with {@code code}. */
  public static final class CloseWith extends RuntimeException {
    final int code;

    public CloseWith(int code, String reason) {
      super(reason, null, false, false);
      this.code = code;
    }

    /** The reason as a close frame can carry it: at most 123 UTF-8 bytes. */
    String frameReason() {
      String reason = getMessage();
      while (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
        reason = reason.substring(0, reason.length() - 1);
      }
      return reason;
    }
  }

  /**
   * {@code handler}, ended with {@link #SESSION_REVOKED} when the session is cut: {@code register}
   * is given the cut (call it with the reason's code, from any thread) and answers what to close
   * when the connection ends, however it ends.
   */
  public static <M> Flow<Message, Message, M> revocable(Flow<Message, Message, M> handler,
                                                        Function<Consumer<String>, Runnable> register) {
    CompletableFuture<CloseWith> cut = new CompletableFuture<>();
    Runnable unregister = register.apply(reason ->
        cut.complete(new CloseWith(SESSION_REVOKED, reason + ": reconnect with a fresh token")));
    Source<Message, NotUsed> cuts = Source.completionStage(cut).map(close -> {
      throw close;
    });
    return handler.merge(cuts, true).watchTermination((materialized, done) -> {
      done.whenComplete((ended, failed) -> unregister.run());
      return materialized;
    });
  }

  /** Pekko HTTP's server-side layers under ours: a blueprint built once, shared by every connection. */
  @SuppressWarnings("rawtypes")
  private final org.apache.pekko.stream.scaladsl.BidiFlow stack;

  /**
   * {@code maxMessageBytes}: how much of one inbound message is collected (see {@link
   * WholeMessages}); {@code closeTimeout}: how long a close handshake may take before the
   * connection is dropped.
   */
  public WebSocketCloseCodes(ActorSystem<?> system, long maxMessageBytes, Duration closeTimeout) {
    WebSocketSettings settings = (WebSocketSettings) ServerSettings.create(system.classicSystem()).getWebsocketSettings();
    this.stack = stack(settings, maxMessageBytes, closeTimeout, Logging.getLogger(system.classicSystem(), WebSocketCloseCodes.class));
  }

  /** The upgrade response that runs {@code handler}, or empty when the request is no WebSocket upgrade. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Optional<HttpResponse> upgrade(WebSocketUpgrade upgrade, Flow<Message, Message, ?> handler) {
    if (!(upgrade instanceof UpgradeToWebSocketLowLevel lowLevel)) {
      return Optional.empty();
    }
    org.apache.pekko.stream.scaladsl.Flow frames = stack.join((org.apache.pekko.stream.Graph) handler);
    return Optional.of(lowLevel.handleFrames(frames, Option.empty()));
  }

  /** Masking, frame handling (control frames, the close handshake) and keep-alive are Pekko HTTP's; messages ours. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static org.apache.pekko.stream.scaladsl.BidiFlow stack(WebSocketSettings settings, long maxMessageBytes,
                                                                  Duration closeTimeout, LoggingAdapter log) {
    FiniteDuration closeWithin = FiniteDuration.apply(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    org.apache.pekko.stream.scaladsl.BidiFlow masking = WebSocket.masking(true, settings.randomFactory());
    org.apache.pekko.stream.scaladsl.BidiFlow frameHandling = WebSocket.frameHandling(true, closeWithin, log);
    org.apache.pekko.stream.scaladsl.BidiFlow keepAlive = WebSocket.periodicKeepAlive(settings);
    org.apache.pekko.stream.scaladsl.BidiFlow messages =
        org.apache.pekko.stream.scaladsl.BidiFlow.fromGraph(new MessageLayer(maxMessageBytes, closeTimeout, log));
    return masking.atop(frameHandling).atop(keepAlive).atop(messages);
  }
}
