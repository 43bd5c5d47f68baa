package io.lakeshard.node.router;

import io.lakeshard.node.Stages;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster registry (the spec's key-value store): an LWWMap of {@link RegisteredBackend} by id
 * in Pekko Distributed Data under the router's own key, so every node sees every entry. Routing
 * reads this node's latest view without a message; changes go through one actor per node, written
 * to a majority of the nodes before they are confirmed. Durable (the key is among application.conf's
 * {@code distributed-data.durable.keys}): every node keeps the entries on disk, so they survive a
 * restart of the whole cluster; after a start they are back once the replicator has loaded them.
 */
public final class ClusterBackends {
  private static final Logger log = LoggerFactory.getLogger(ClusterBackends.class);
  private static final Key<LWWMap<String, RegisteredBackend>> KEY = LWWMapKey.create("lakeshard-router-backends");

  /** The outcome of a change: written to a majority, or not confirmed in time (it may still spread). */
  public enum Written { CONFIRMED, UNCONFIRMED }

  sealed interface Command {}

  private record Put(RegisteredBackend entry, ActorRef<Written> replyTo) implements Command {}

  private record Remove(String id, ActorRef<Written> replyTo) implements Command {}

  private record Changed(Replicator.SubscribeResponse<LWWMap<String, RegisteredBackend>> response) implements Command {}

  private record Updated(Replicator.UpdateResponse<LWWMap<String, RegisteredBackend>> response,
                         ActorRef<Written> replyTo) implements Command {}

  private record Read(Replicator.GetResponse<LWWMap<String, RegisteredBackend>> response, Written written,
                      ActorRef<Written> replyTo) implements Command {}

  private final ActorSystem<?> system;
  private final ActorRef<Command> registry;
  private final AtomicReference<Map<String, RegisteredBackend>> entries = new AtomicReference<>(Map.of());
  private final Map<String, String> env;
  private final Duration writeTimeout;
  /** The entries as backends (credentials resolved), made once per change rather than per request. */
  private volatile Map<String, Backend> backends = Map.of();

  private ClusterBackends(ActorSystem<?> system, Map<String, String> env, Duration writeTimeout) {
    this.system = system;
    this.env = env;
    this.writeTimeout = writeTimeout;
    this.registry = system.systemActorOf(behavior(), "router-backends", Props.empty());
  }

  /** The registry of this node; {@code env}: where entries' {@code auth_env} credentials are read. */
  public static ClusterBackends start(ActorSystem<?> system, Map<String, String> env, Duration writeTimeout) {
    return new ClusterBackends(system, Map.copyOf(env), writeTimeout);
  }

  /** This node's current view, by id. */
  public Map<String, Backend> backends() {
    return backends;
  }

  public Map<String, RegisteredBackend> entries() {
    return entries.get();
  }

  public CompletionStage<Written> put(RegisteredBackend entry) {
    return ask(replyTo -> new Put(entry, replyTo));
  }

  public CompletionStage<Written> remove(String id) {
    return ask(replyTo -> new Remove(id, replyTo));
  }

  private CompletionStage<Written> ask(org.apache.pekko.japi.function.Function<ActorRef<Written>, Command> command) {
    // The actor answers by the write timeout; the ask waits a little longer so that answer arrives.
    return Stages.direct(AskPattern.ask(registry, command, writeTimeout.plusSeconds(2), system.scheduler()));
  }

  private Behavior<Command> behavior() {
    return Behaviors.setup(context -> DistributedData.withReplicatorMessageAdapter(
        (ReplicatorMessageAdapter<Command, LWWMap<String, RegisteredBackend>> replicator) -> {
          SelfUniqueAddress self = DistributedData.get(context.getSystem()).selfUniqueAddress();
          replicator.subscribe(KEY, Changed::new);
          return Behaviors.receive(Command.class)
              .onMessage(Put.class, put -> update(replicator, put.replyTo(),
                  map -> map.put(self, put.entry().id(), put.entry())))
              .onMessage(Remove.class, remove -> update(replicator, remove.replyTo(),
                  map -> map.remove(self, remove.id())))
              .onMessage(Updated.class, updated -> {
                // This node routes by the change at once (read your writes); a subscription hears of it later.
                replicator.askGet(askReplyTo -> new Replicator.Get<>(KEY, Replicator.readLocal(), askReplyTo),
                    response -> new Read(response, written(updated.response()), updated.replyTo()));
                return Behaviors.same();
              })
              .onMessage(Read.class, read -> {
                publish(read.response() instanceof Replicator.GetSuccess<LWWMap<String, RegisteredBackend>> found
                    ? found.get(KEY).getEntries() : Map.of());
                read.replyTo().tell(read.written());
                return Behaviors.same();
              })
              .onMessage(Changed.class, changed -> {
                if (changed.response() instanceof Replicator.Changed<LWWMap<String, RegisteredBackend>> latest) {
                  publish(latest.get(KEY).getEntries());
                }
                return Behaviors.same();
              })
              .build();
        }));
  }

  private Behavior<Command> update(ReplicatorMessageAdapter<Command, LWWMap<String, RegisteredBackend>> replicator,
                                   ActorRef<Written> replyTo,
                                   Function<LWWMap<String, RegisteredBackend>, LWWMap<String, RegisteredBackend>> change) {
    replicator.askUpdate(
        askReplyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), new Replicator.WriteMajority(writeTimeout), askReplyTo,
            change),
        response -> new Updated(response, replyTo));
    return Behaviors.same();
  }

  private Written written(Replicator.UpdateResponse<?> response) {
    if (response instanceof Replicator.UpdateSuccess) {
      return Written.CONFIRMED;
    }
    log.warn("a router registry change was not confirmed by a majority within {} ms ({}); it spreads by gossip",
        writeTimeout.toMillis(), response.getClass().getSimpleName());
    return Written.UNCONFIRMED;
  }

  /** Called on the registry actor only (its subscription and its own writes). */
  private void publish(Map<String, RegisteredBackend> latest) {
    Map<String, RegisteredBackend> previous = entries.getAndSet(Map.copyOf(latest));
    if (previous.equals(latest)) {
      return;
    }
    Map<String, Backend> resolved = new HashMap<>();
    latest.forEach((id, entry) -> resolved.put(id, entry.toBackend(env)));
    backends = Map.copyOf(resolved);
    log.info("router cluster registry now holds {}", latest.keySet());
  }
}
