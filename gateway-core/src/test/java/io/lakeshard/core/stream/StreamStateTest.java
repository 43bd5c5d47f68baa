package io.lakeshard.core.stream;

import static io.lakeshard.core.stream.StreamStates.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.lakeshard.core.stream.StreamProtocol.Producer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The state as events build it, its snapshot, and snapshots and events in the format the journal holds. */
class StreamStateTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static StreamState sample() {
    StreamState state = StreamStates.created("text/plain");
    StreamStates.append(state, "a", "b", "c");
    StreamStates.seal(state, "state", 2);
    Producer producer = new Producer("w", 1, 0);
    byte[] data = "d".getBytes(StandardCharsets.UTF_8);
    state.apply(new StreamEvent.MessageAppended(new StreamProtocol.Message(Offsets.next(state.tail, 1), data), "s1",
        producer, false, 42));
    state.apply(new StreamEvent.ForkAttached("child"));
    state.apply(new StreamEvent.RegistryChange(true, "text/plain", 7));
    return state;
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(Object value, String manifest) throws Exception {
    SerializerWithStringManifest serializer = (SerializerWithStringManifest) serialization.findSerializerFor(value);
    byte[] bytes = serializer.toBinary(value);
    return (T) serializer.fromBinary(bytes, manifest == null ? Serializers.manifestFor(serializer, value) : manifest);
  }

  @Test
  void aSnapshotIsACopyThatLaterEventsDoNotChange() {
    StreamState state = sample();
    StreamState snapshot = state.copy();
    StreamStates.append(state, "e");
    state.apply(new StreamEvent.ForkDetached("child"));
    assertThat(text(snapshot.messages)).isEqualTo("cd");
    assertThat(snapshot.forks).containsExactly("child");
    assertThat(snapshot.hotBytes()).isEqualTo(2);
    assertThat(text(state.messages)).isEqualTo("cde");
  }

  @Test
  void aSnapshotSurvivesItsSerializationWhole() throws Exception {
    StreamState state = sample();
    StreamState read = ((StreamState) roundTrip(state.copy(), null)).recovered();
    assertThat(read.tail).isEqualTo(state.tail);
    assertThat(text(read.messages)).isEqualTo("cd");
    assertThat(read.hotBytes()).isEqualTo(2);
    assertThat(read.segments).isEqualTo(state.segments);
    assertThat(read.producers).isEqualTo(state.producers);
    assertThat(read.lastSeq).isEqualTo("s1");
    assertThat(read.forks).containsExactly("child");
    assertThat(read.nextSegmentSeq).isEqualTo(1);
    assertThat(read.registryOutbox).isEqualTo(state.registryOutbox);
  }

  @Test
  void eventsAndSnapshotsWrittenUnderTheOldClassNamesAreReadAsTodaysClasses() throws Exception {
    StreamEvent.StreamClosed closed = new StreamEvent.StreamClosed(new Producer("w", 0, 3), 9);
    assertThat((Object) roundTrip(closed, "io.lakeshard.core.stream.Stream$StreamClosed")).isEqualTo(closed);
    StreamState state = sample();
    StreamState legacy = ((StreamState) roundTrip(state.copy(), "io.lakeshard.core.stream.Stream$Snapshot")).recovered();
    assertThat(text(legacy.messages)).isEqualTo("cd");
    assertThat(legacy.segments).isEqualTo(state.segments);
  }

  @Test
  void deletionKeepsTheSegmentNumberingAndTheRegistryOutbox() {
    StreamState state = sample();
    state.apply(new StreamEvent.StreamDeleted(10));
    assertThat(state.exists).isFalse();
    assertThat(state.messages).isEmpty();
    assertThat(state.tail).isEqualTo(Offsets.ZERO);
    assertThat(state.nextSegmentSeq).isEqualTo(2);
    assertThat(state.registryOutbox).hasSize(1);
    state.apply(new StreamEvent.RegistryRecorded(11, state.registryOutbox.get(0)));
    assertThat(state.registryOutbox).isEmpty();
  }

  @Test
  void aRecordedChangeLeavesTheOutboxOnlyWhenItIsItsHeadAndAnEmptyOutboxNeverThrows() {
    StreamState state = sample();
    StreamEvent.RegistryChange pending = state.registryOutbox.get(0);
    StreamEvent.RegistryChange other = new StreamEvent.RegistryChange(false, null, pending.atMillis() + 1);
    state.apply(new StreamEvent.RegistryRecorded(11, other));
    assertThat(state.registryOutbox).containsExactly(pending);
    state.apply(new StreamEvent.RegistryRecorded(12, pending));
    assertThat(state.registryOutbox).isEmpty();
    // Recorded twice (an answer from before a restart), or a legacy event naming no change: nothing to remove.
    state.apply(new StreamEvent.RegistryRecorded(13, pending));
    state.apply(new StreamEvent.RegistryRecorded(14, null));
    assertThat(state.registryOutbox).isEmpty();
  }

  @Test
  void aLegacyRecordedEventNamingNoChangeRecordsTheOldest() throws Exception {
    // As journaled before the event named its change: only atMillis.
    StreamEvent.RegistryRecorded probe = new StreamEvent.RegistryRecorded(0, null);
    SerializerWithStringManifest serializer = (SerializerWithStringManifest) serialization.findSerializerFor(probe);
    byte[] legacyBytes = new CBORMapper()
        .writeValueAsBytes(Map.of("atMillis", 11L));
    StreamEvent.RegistryRecorded legacy = (StreamEvent.RegistryRecorded) serializer.fromBinary(legacyBytes,
        Serializers.manifestFor(serializer, probe));
    assertThat(legacy).isEqualTo(new StreamEvent.RegistryRecorded(11, null));
    StreamState state = sample();
    state.apply(legacy);
    assertThat(state.registryOutbox).isEmpty();
  }

  @Test
  void theTailIsTheLastHotMessageElseTheLastSegmentElseTheStart() {
    StreamState state = sample();
    assertThat(StreamState.tailOf("s", state.segments, state.messages)).isEqualTo(state.messages.get(1).offset());
    assertThat(StreamState.tailOf("s", state.segments, List.of())).isEqualTo(state.segments.get(0).last());
    assertThat(StreamState.tailOf("s", List.of(), List.of())).isEqualTo("s");
  }
}
