package io.lakeshard.node.journal;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serialization$;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The Pekko Persistence journal plugin over the {@link SegmentStore}: serializes each event
 * through Pekko Serialization (the bindings the entities already use), hands whole AtomicWrites
 * to the store's group commit, replays from its index. An event that does not serialize rejects
 * its AtomicWrite only (the entity is told and goes on).
 */
public final class SegmentJournal extends AsyncWriteJournal {
  private final ExtendedActorSystem system = (ExtendedActorSystem) context().system();
  private final SegmentStore store = SegmentJournals.store(system);
  private final Serialization serialization = SerializationExtension.get(context().system());
  private final Executor replays;

  public SegmentJournal(Config config) {
    this.replays = context().system().dispatchers().lookup(config.getString("replay-dispatcher"));
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    List<GroupCommit.Frame> frames = new ArrayList<>();
    for (AtomicWrite write : messages) {
      try {
        // Transport information: a serializer that writes an ActorRef needs the system's address.
        frames.addAll(Serialization$.MODULE$.withTransportInformation(system, () -> frames(write)));
        results.add(Optional.empty());
      } catch (Exception e) { // a serializer throws NotSerializableException without declaring it
        results.add(Optional.of(e));
      }
    }
    if (frames.isEmpty()) {
      return Futures.<Iterable<Optional<Exception>>>successful(results);
    }
    return FutureConverters.asScala(store.append(frames).<Iterable<Optional<Exception>>>thenApply(done -> results));
  }

  private List<GroupCommit.Frame> frames(AtomicWrite write) {
    List<PersistentRepr> events = CollectionConverters.asJava(write.payload());
    List<GroupCommit.Frame> frames = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      PersistentRepr event = events.get(i);
      Object payload = event.payload() instanceof Tagged tagged ? tagged.payload() : event.payload();
      Serializer serializer = serialization.findSerializerFor(payload);
      byte[] bytes = serializer.toBinary(payload);
      StoredEvent stored = new StoredEvent(event.persistenceId(), event.sequenceNr(), event.writerUuid(),
          event.timestamp() > 0 ? event.timestamp() : System.currentTimeMillis(), event.manifest(),
          serializer.identifier(), Serializers.manifestFor(serializer, payload), bytes);
      frames.add(new GroupCommit.Frame(stored.persistenceId(), stored.sequenceNr(),
          SegmentFormat.event(stored, i == events.size() - 1)));
    }
    return frames;
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return FutureConverters.asScala(store.delete(persistenceId, toSequenceNr));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
                                            Consumer<PersistentRepr> replayCallback) {
    return FutureConverters.asScala(CompletableFuture.runAsync(() -> {
      try {
        store.replay(persistenceId, fromSequenceNr, toSequenceNr, max, event -> replayCallback.accept(repr(event)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, replays));
  }

  private PersistentRepr repr(StoredEvent event) {
    Object payload = serialization.deserialize(event.payload(), event.serializerId(), event.serializerManifest()).get();
    return PersistentRepr.apply(payload, event.sequenceNr(), event.persistenceId(), event.adapterManifest(), false,
        ActorRef.noSender(), event.writerUuid()).withTimestamp(event.timestamp());
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return Futures.successful(store.highestSequenceNr(persistenceId));
  }
}
