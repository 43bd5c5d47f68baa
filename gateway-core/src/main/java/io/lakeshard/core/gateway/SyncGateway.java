package io.lakeshard.core.gateway;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.schema.TableSchema;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One sync gateway: the single owner of its buffer and its WebSocket sessions (a Durable
 * Object's role). The entity holds the sessions and groups pushes: while one journal write is in
 * flight, arriving pushes queue and go to the {@link GatewayLedger} together as the next write
 * (group commit), so a busy gateway is not held to one journal round trip per push. A push is
 * acknowledged, and broadcast to the gateway's other sessions, only after its write committed.
 */
public final class SyncGateway extends AbstractBehavior<SyncGateway.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "SyncGateway");

  // ---- protocol ----

  public sealed interface Command extends CborSerializable {}

  /** Deltas from {@code clientId}; {@code origin} is the pushing WebSocket session, or null. */
  public record Push(String clientId, List<RowDelta> deltas, ActorRef<Broadcast> origin,
                     ActorRef<PushReply> replyTo) implements Command {}

  public record Pull(long since, int limit, ActorRef<PullReply> replyTo) implements Command {}

  /** Registers or evolves a table's schema (only adding columns is allowed). */
  public record RegisterSchema(TableSchema schema, ActorRef<SchemaReply> replyTo) implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = SchemaSaved.class, name = "saved"),
      @JsonSubTypes.Type(value = SchemaRefused.class, name = "refused")})
  public sealed interface SchemaReply extends CborSerializable {}

  public record SchemaSaved(String table, int columns) implements SchemaReply {}

  public record SchemaRefused(String message) implements SchemaReply {}

  /** What an operator sees of a gateway (admin metrics). */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  public record Stats(int bufferedDeltas, long bufferedBytes, int rows, long serverHlc, int sessions)
      implements CborSerializable {}

  /** A WebSocket session joins the gateway; it leaves when it stops or sends {@link Unsubscribe}. */
  public record Subscribe(ActorRef<Broadcast> session) implements Command {}

  public record Unsubscribe(ActorRef<Broadcast> session) implements Command {}

  /** From the ledger: a group of pushes is journaled (or refused); {@code accepted} lines up with the pushes. */
  record GroupWritten(List<Push> pushes, List<List<RowDelta>> accepted, long serverHlc) implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
      @JsonSubTypes.Type(value = PushAccepted.class, name = "accepted"),
      @JsonSubTypes.Type(value = PushRefused.class, name = "refused")})
  public sealed interface PushReply extends CborSerializable {}

  /**
   * As LakeSync answers: {@code accepted} counts every delta of the push (duplicates and deltas
   * that lost to newer writes are accepted too); {@code deltas} holds what was ingested, each
   * trimmed to the columns that won.
   */
  public record PushAccepted(long serverHlc, int accepted, List<RowDelta> deltas) implements PushReply {}

  public record PushRefused(Refusal reason, String message) implements PushReply {}

  public enum Refusal {
    INVALID_DELTA,
    CLOCK_DRIFT,
    SCHEMA_MISMATCH
  }

  public record PullReply(List<RowDelta> deltas, long serverHlc, boolean hasMore) implements CborSerializable {}

  /** Deltas accepted from another client, sent to every session but the pusher's. */
  public record Broadcast(List<RowDelta> deltas, long serverHlc) implements CborSerializable {}

  // ---- wiring ----

  public static void init(ActorSystem<?> system, GatewaySettings settings) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_TYPE_KEY, entityContext -> create(entityContext.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String gatewayId, GatewaySettings settings) {
    return Behaviors.setup(context -> new SyncGateway(context, gatewayId, settings));
  }

  private final ActorRef<GatewayLedger.Command> ledger;
  private final Set<ActorRef<Broadcast>> sessions = new HashSet<>();
  private List<Push> waiting = new ArrayList<>();
  private boolean writing;

  private SyncGateway(ActorContext<Command> context, String gatewayId, GatewaySettings settings) {
    super(context);
    this.ledger = context.spawn(GatewayLedger.create(gatewayId, settings, context.getSelf()), "ledger");
    // A failed journal write stops the ledger; the gateway stops with it rather than queue forever,
    // and sharding starts it afresh (recovering from the journal) on its next message.
    context.watch(ledger);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Push.class, this::onPush)
        .onMessage(GroupWritten.class, this::onGroupWritten)
        .onMessage(Pull.class, this::onPull)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(RegisterSchema.class, register -> {
          ledger.tell(new GatewayLedger.Register(register));
          return this;
        })
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onSignal(Terminated.class, terminated -> {
          getContext().getLog().warn("gateway ledger stopped ({} pushes waiting); stopping the gateway so it recovers",
              waiting.size());
          return Behaviors.stopped();
        })
        .build();
  }

  private Behavior<Command> onPush(Push push) {
    waiting.add(push);
    if (!writing) {
      writeWaiting();
    }
    return this;
  }

  private void writeWaiting() {
    ledger.tell(new GatewayLedger.Append(waiting));
    waiting = new ArrayList<>();
    writing = true;
  }

  private Behavior<Command> onGroupWritten(GroupWritten written) {
    for (int i = 0; i < written.pushes().size(); i++) {
      List<RowDelta> accepted = written.accepted().get(i);
      if (!accepted.isEmpty()) {
        broadcast(new Broadcast(accepted, written.serverHlc()), written.pushes().get(i).origin());
      }
    }
    writing = false;
    if (!waiting.isEmpty()) {
      writeWaiting();
    }
    return this;
  }

  private void broadcast(Broadcast message, ActorRef<Broadcast> origin) {
    for (ActorRef<Broadcast> session : sessions) {
      if (!session.equals(origin)) {
        session.tell(message);
      }
    }
  }

  private Behavior<Command> onPull(Pull pull) {
    ledger.tell(new GatewayLedger.Read(pull));
    return this;
  }

  private Behavior<Command> onGetStats(GetStats get) {
    ledger.tell(new GatewayLedger.Describe(sessions.size(), get.replyTo()));
    return this;
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    if (sessions.add(subscribe.session())) {
      getContext().watchWith(subscribe.session(), new Unsubscribe(subscribe.session()));
    }
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe unsubscribe) {
    if (sessions.remove(unsubscribe.session())) {
      getContext().unwatch(unsubscribe.session());
    }
    return this;
  }
}
