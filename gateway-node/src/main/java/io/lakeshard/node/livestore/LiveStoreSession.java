package io.lakeshard.node.livestore;

import static io.lakeshard.node.http.WebSocketCloseCodes.TRY_AGAIN_LATER;

import io.lakeshard.core.eventstore.EventPages;
import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.core.eventstore.StoredEvent;
import io.lakeshard.node.http.WebSocketCloseCodes.CloseWith;
import io.lakeshard.node.metrics.Transport;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One WebSocket connection's session: the store's live subscriber AND the reply target of the
 * connection's pushes, so an accepted batch's echo reaches it before the push's reply (Pekko
 * orders messages per sender and receiver pair) and goes out as a Chunk to every live pull of the
 * connection before the push's Exit. Pushes are handled one at a time in arrival order. A pull
 * first catches up page by page (each catch-up chunk waits for the client's Ack, as LiveStore's
 * server waits); then a live pull gets every later batch. Each pull keeps its cursor, so nothing
 * is sent twice, and a gap (a batch whose first parent is past the cursor, or PullNeeded) is filled
 * with pages. Subscribe is re-sent every {@code resubscribe-every} with the session's cursor:
 * it keeps the store from passivating and re-attaches the session after the store moved.
 * Messages to the client go to {@code out}; a {@link CloseWith} there closes the connection.
 */
final class LiveStoreSession {
  /** A decoded client message, or the close a bad one earns. */
  record Inbound(Object frame) {}

  /** The connection ended. */
  enum Ended { INSTANCE }

  private record Admitted(RpcFrame.Request request, Optional<LiveStoreError> refusal) {}

  private record Paged(String pullId, EventStore.PullReply reply) {}

  /** Every {@code resubscribe-every}: re-send Subscribe, and check the push in flight against its deadline. */
  private enum Tick { INSTANCE }

  /** A pull of this connection: its cursor, and whether it is catching up (and waits for an Ack). */
  private static final class PullState {
    final RpcFrame.Pull pull;
    long cursor;
    boolean catchingUp = true;
    boolean awaitingAck;

    PullState(RpcFrame.Pull pull) {
      this.pull = pull;
      this.cursor = pull.afterSeqNum();
    }
  }

  private final ActorContext<Object> context;
  private final LiveStoreService service;
  private final LiveStoreService.Store store;
  private final ActorRef<Object> out;
  private final ArrayDeque<RpcFrame.Push> pushes = new ArrayDeque<>();
  private final Map<String, PullState> pulls = new LinkedHashMap<>();
  private boolean pushing;
  /** In {@link #nextPush}: a push answered at admission goes on in its loop. */
  private boolean admittingPushes;
  /** When the push in flight was sent to the store (for the metrics and its deadline). */
  private long pushSentNanos;
  /** A push went to the store and its reply has not come. */
  private boolean awaitingReply;
  /** Attached to the store, with every event up to {@code liveCursor} seen. */
  private boolean subscribed;
  private long liveCursor;

  private LiveStoreSession(ActorContext<Object> context, LiveStoreService service,
                           LiveStoreService.Store store, ActorRef<Object> out) {
    this.context = context;
    this.service = service;
    this.store = store;
    this.out = out;
  }

  static Behavior<Object> create(LiveStoreService service, LiveStoreService.Store store, ActorRef<Object> out) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, service.settings().resubscribeEvery());
      return new LiveStoreSession(context, service, store, out).behavior();
    }));
  }

  private Behavior<Object> behavior() {
    return Behaviors.receive(Object.class)
        .onMessage(Inbound.class, inbound -> onFrame(inbound.frame()))
        .onMessage(Admitted.class, this::onAdmitted)
        .onMessage(EventStore.PushReply.class, this::onPushReply)
        .onMessage(Paged.class, this::onPaged)
        .onMessage(EventStore.LiveBatch.class, this::onLiveBatch)
        .onMessage(EventStore.PullNeeded.class, needed -> {
          subscribed = false;
          pulls.values().stream().filter(state -> state.pull.live() && !state.catchingUp).forEach(this::catchUp);
          return Behaviors.same();
        })
        .onMessage(Tick.class, tick -> onTick())
        .onMessage(Ended.class, ended -> {
          service.unsubscribe(store, self());
          return Behaviors.stopped();
        })
        .build();
  }

  /**
   * A push unanswered past the ask timeout closes the connection (checked on this tick, so within
   * one {@code resubscribe-every} after it): a single timer per push, started and cancelled, cost
   * the scheduler a task per push (its thread 5-13% of the node's JFR samples with eight contending
   * clients).
   */
  private Behavior<Object> onTick() {
    if (awaitingReply && System.nanoTime() - pushSentNanos > service.askTimeout().toNanos()) {
      service.pushAnswered(null, pushSentNanos);
      return close(new CloseWith(TRY_AGAIN_LATER,
          "UNAVAILABLE: store " + store.storeId() + " did not answer a push in time; reconnect"));
    }
    if (subscribed) {
      service.subscribe(store, self(), liveCursor);
    }
    return Behaviors.same();
  }

  private Behavior<Object> onFrame(Object frame) {
    if (frame instanceof CloseWith close) {
      return close(close);
    } else if (frame instanceof RpcFrame.Ping) {
      out.tell(RpcReplies.PONG);
    } else if (frame instanceof RpcFrame.Ack ack) {
      PullState state = pulls.get(ack.requestId());
      if (state != null && state.awaitingAck) {
        state.awaitingAck = false;
        requestPage(state);
      }
    } else if (frame instanceof RpcFrame.Interrupt interrupt) {
      pulls.remove(interrupt.requestId()); // a push's Interrupt changes nothing: its Exit still goes
    } else if (frame instanceof RpcFrame.Push push) {
      pushes.add(push);
      nextPush();
    } else if (frame instanceof RpcFrame.Request request) {
      return admit(request);
    }
    return Behaviors.same();
  }

  /**
   * Admits the request: at once when the answer is already there (no hooks, or a refused shape),
   * else when the hooks have answered. Piping a completed answer through the mailbox cost every
   * push an extra message, a closure and a callback.
   */
  private Behavior<Object> admit(RpcFrame.Request request) {
    CompletableFuture<Optional<LiveStoreError>> admission = service.admit(store, request).toCompletableFuture();
    if (admission.isDone() && !admission.isCompletedExceptionally()) {
      return onAdmitted(new Admitted(request, admission.join()));
    }
    context.pipeToSelf(admission,
        (refusal, failed) -> new Admitted(request, refusal == null ? Optional.empty() : refusal));
    return Behaviors.same();
  }

  /** A loop, not a recursion: pushes refused at admission are answered one after another here. */
  private void nextPush() {
    if (admittingPushes) {
      return;
    }
    admittingPushes = true;
    while (!pushing && !pushes.isEmpty()) {
      pushing = true;
      admit(pushes.peek());
    }
    admittingPushes = false;
  }

  private Behavior<Object> onAdmitted(Admitted admitted) {
    if (admitted.refusal().isPresent()) {
      out.tell(RpcReplies.failure(admitted.request().id(), admitted.refusal().get()));
      if (admitted.request() instanceof RpcFrame.Push) {
        pushDone();
      }
      return Behaviors.same();
    }
    if (admitted.request() instanceof RpcFrame.Push push) {
      pushSentNanos = System.nanoTime();
      awaitingReply = true;
      service.push(store, push, self());
    } else if (admitted.request() instanceof RpcFrame.Pull pull) { // BadRequests never pass admit
      PullState state = new PullState(pull);
      pulls.put(pull.id(), state);
      requestPage(state);
    }
    return Behaviors.same();
  }

  private Behavior<Object> onPushReply(EventStore.PushReply reply) {
    if (!pushing || pushes.isEmpty()) {
      return Behaviors.same();
    }
    awaitingReply = false;
    service.pushAnswered(reply, pushSentNanos);
    String id = pushes.peek().id();
    out.tell(LiveStoreService.refusal(reply).map(error -> RpcReplies.failure(id, error))
        .orElseGet(() -> RpcReplies.pushAccepted(id)));
    pushDone();
    return Behaviors.same();
  }

  private void pushDone() {
    pushes.poll();
    pushing = false;
    nextPush();
  }

  private void catchUp(PullState state) {
    state.catchingUp = true;
    state.awaitingAck = false;
    requestPage(state);
  }

  private void requestPage(PullState state) {
    String id = state.pull.id();
    Optional<String> backendId = state.pull.cursor().map(RpcFrame.Cursor::backendId);
    context.pipeToSelf(service.page(store, state.cursor, backendId, Transport.WS), (reply, failed) -> new Paged(id,
        reply != null ? reply : new EventStore.Unavailable(String.valueOf(failed))));
  }

  private Behavior<Object> onPaged(Paged paged) {
    PullState state = pulls.get(paged.pullId());
    if (state == null) {
      return Behaviors.same(); // interrupted meanwhile
    }
    if (!(paged.reply() instanceof EventStore.Page page)) {
      if (paged.reply() instanceof EventStore.Unavailable unavailable) {
        // LiveStore's client stops pulling for good on a pull's UnknownError, but reconnects and
        // pulls again after a close: so a store that cannot answer closes the connection.
        return close(new CloseWith(TRY_AGAIN_LATER, "UNAVAILABLE: " + unavailable.message()));
      }
      pulls.remove(paged.pullId());
      out.tell(RpcReplies.failure(paged.pullId(), LiveStoreService.refusal(paged.reply())));
      return Behaviors.same();
    }
    List<StoredEvent> events = page.events();
    if (!events.isEmpty()) {
      state.cursor = events.get(events.size() - 1).seqNum();
    }
    out.tell(RpcReplies.chunk(paged.pullId(), page.backendId(), events, page.remaining()));
    if (page.remaining() > 0) {
      state.awaitingAck = true;
    } else if (!state.pull.live()) {
      pulls.remove(paged.pullId());
      out.tell(RpcReplies.streamEnd(paged.pullId()));
    } else if (subscribed && liveCursor > state.cursor) {
      requestPage(state); // batches went by while this page was read
    } else {
      state.catchingUp = false;
      if (!subscribed) {
        subscribed = true;
        liveCursor = state.cursor;
        service.subscribe(store, self(), liveCursor);
      }
    }
    return Behaviors.same();
  }

  private Behavior<Object> onLiveBatch(EventStore.LiveBatch batch) {
    List<StoredEvent> events = batch.events();
    if (events.isEmpty() || events.get(events.size() - 1).seqNum() <= liveCursor) {
      return Behaviors.same(); // an old incarnation's batch, already seen
    }
    liveCursor = Math.max(liveCursor, events.get(events.size() - 1).seqNum());
    for (PullState state : pulls.values()) {
      if (!state.pull.live() || state.catchingUp) {
        continue;
      }
      int from = 0;
      while (from < events.size() && events.get(from).seqNum() <= state.cursor) {
        from++;
      }
      if (from == events.size()) {
        continue;
      }
      if (events.get(from).event().parentSeqNum() != state.cursor) {
        catchUp(state); // a gap before this batch
        continue;
      }
      List<StoredEvent> unseen = events.subList(from, events.size());
      for (List<StoredEvent> part : EventPages.split(unseen, service.limits().pageEvents(),
          service.limits().pageBytes())) {
        out.tell(RpcReplies.chunk(state.pull.id(), batch.backendId(), part, 0));
      }
      state.cursor = liveCursor;
    }
    return Behaviors.same();
  }

  /**
   * Fails the outbound with {@code close} (its code closes the connection), then waits for the
   * connection's end: stopping at once would cancel the inbound side (it watches this actor) and
   * race the close code with a normal 1000 close.
   */
  private Behavior<Object> close(CloseWith close) {
    out.tell(close);
    service.unsubscribe(store, self());
    return Behaviors.receive(Object.class)
        .onMessage(Ended.class, ended -> Behaviors.stopped())
        .onAnyMessage(ignored -> Behaviors.same())
        .build();
  }

  @SuppressWarnings("unchecked")
  private <T> ActorRef<T> self() {
    return (ActorRef<T>) (ActorRef<?>) context.getSelf();
  }
}
