package io.lakeshard.core.stream;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.retry.RetryState;
import io.lakeshard.core.stream.StreamEvent.RegistryChange;
import io.lakeshard.core.stream.StreamProtocol.AppendReply;
import io.lakeshard.core.stream.StreamProtocol.AppendSpec;
import io.lakeshard.core.stream.StreamProtocol.Command;
import io.lakeshard.core.stream.StreamProtocol.CreateReply;
import io.lakeshard.core.stream.StreamProtocol.CreateSpec;
import io.lakeshard.core.stream.StreamProtocol.Refusal;
import io.lakeshard.core.stream.StreamProtocol.Refused;
import io.lakeshard.core.stream.StreamProtocol.RegistryAnswered;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a stream's journaled {@link RegistryChange}s to the {@code __registry__} stream, oldest
 * first, one at a time, each retried with backoff until the registry has it; the stream journals
 * {@code RegistryRecorded} for each, so a restart resends only what had not landed (a crash between
 * landing and recording sends one again: the registry is at-least-once). The registry is a JSON
 * stream of change events in the reference server's shape, created on first use.
 */
final class RegistryOutbox {
  public static final String REGISTRY_ID = "__registry__";
  private static final Logger log = LoggerFactory.getLogger(RegistryOutbox.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json";

  /** {@code {"type":"stream","key":id,"value":{...},"headers":{"operation":"insert"}}}; a delete has no value. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Event(String type, String key, Value value, Headers headers) {}

  record Value(String path, String contentType, long createdAt) {}

  record Headers(String operation) {}

  private final String streamId;
  private final RecipientRef<Command> registry;
  private final Duration askTimeout;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final RetryState retry;
  /** A change (or the registry's creation) is on its way: its answer comes back to the actor. */
  private boolean asking;
  /** A failed change is backing off: its timer sends it again. */
  private boolean backingOff;

  RegistryOutbox(String streamId, RecipientRef<Command> registry, StreamSettings settings,
                 ActorContext<Command> context, TimerScheduler<Command> timers) {
    this.streamId = streamId;
    this.registry = registry;
    this.askTimeout = settings.askTimeout();
    this.context = context;
    this.timers = timers;
    this.retry = new RetryState(settings.registryBackoff());
  }

  /** The registry's entry for {@code change} of stream {@code id}. */
  static byte[] event(String id, RegistryChange change) {
    Event event = change.created()
        ? new Event("stream", id, new Value(id, change.contentType(), change.atMillis()), new Headers("insert"))
        : new Event("stream", id, null, new Headers("delete"));
    try {
      return JSON.writeValueAsBytes(event);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends the oldest pending change, unless one is on its way or backing off. */
  void sendNext(StreamState state) {
    if (asking || backingOff || state.registryOutbox.isEmpty()) {
      return;
    }
    asking = true;
    RegistryChange change = state.registryOutbox.get(0);
    AppendSpec spec = new AppendSpec(event(streamId, change), JSON_TYPE, null, null, false);
    context.ask(AppendReply.class, registry, askTimeout, replyTo -> new StreamProtocol.Append(spec, replyTo),
        (reply, error) -> new RegistryAnswered(change, reply, error));
  }

  /**
   * The registry answered (or not). True when the change landed (the stream journals that, then
   * sends the next); else the next attempt is scheduled, after the registry's creation when it
   * does not exist yet, else after a backoff.
   */
  boolean answered(RegistryAnswered answer) {
    if (answer.error() == null && !(answer.reply() instanceof Refused)) {
      retry.succeeded();
      asking = false;
      return true;
    }
    if (answer.reply() instanceof Refused refused && refused.reason() == Refusal.NOT_FOUND) {
      // Creating an existing registry is a no-op, so streams racing to create it all succeed.
      CreateSpec spec = new CreateSpec(JSON_TYPE, null, null, false, new byte[0], null);
      context.ask(CreateReply.class, registry, askTimeout, replyTo -> new StreamProtocol.Create(spec, replyTo),
          (reply, error) -> StreamProtocol.RegistryRetry.INSTANCE);
      return false;
    }
    Duration delay = retry.failed();
    log.warn("stream {}: recording its {} in {} failed ({} in a row); retrying in {} ms: {}", streamId,
        answer.change().created() ? "creation" : "deletion", REGISTRY_ID, retry.failures(), delay.toMillis(),
        Optional.<Object>ofNullable(answer.error()).orElse(answer.reply()));
    asking = false;
    backingOff = true;
    timers.startSingleTimer(StreamProtocol.RegistryRetry.INSTANCE, delay);
    return false;
  }

  /** The registry creation was answered, or a backoff ended. */
  void retry(StreamState state) {
    asking = false;
    backingOff = false;
    sendNext(state);
  }

  /**
   * The entity (re)started: a restart cancelled the backoff's timer, so the next attempt is due
   * now; a change on its way stays so (its answer still comes back).
   */
  void recovered(StreamState state) {
    backingOff = false;
    sendNext(state);
  }
}
