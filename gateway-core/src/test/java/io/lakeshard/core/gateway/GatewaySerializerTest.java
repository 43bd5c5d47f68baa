package io.lakeshard.core.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.gateway.GatewayLedger.DeltasAccepted;
import io.lakeshard.core.gateway.GatewayLedger.FlushPlanned;
import io.lakeshard.core.gateway.GatewayLedger.Flushed;
import io.lakeshard.core.gateway.GatewayLedger.SchemaRegistered;
import io.lakeshard.core.gateway.GatewayLedger.SyncRulesSet;
import io.lakeshard.core.gateway.SyncGateway.Broadcast;
import io.lakeshard.core.gateway.SyncGateway.Push;
import io.lakeshard.core.gateway.SyncGateway.PushAccepted;
import io.lakeshard.core.gateway.SyncGateway.PushNotJournaled;
import io.lakeshard.core.gateway.SyncGateway.PushRefused;
import io.lakeshard.core.gateway.SyncGateway.PushThrottled;
import io.lakeshard.core.gateway.SyncGateway.Refusal;
import io.lakeshard.core.rules.SyncRules;
import io.lakeshard.core.schema.ColumnType;
import io.lakeshard.core.schema.TableSchema;
import java.io.NotSerializableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every gateway message and event through the serialization extension as the node's config binds it. */
class GatewaySerializerTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  /** As push.max-deltas allows. */
  private static final int MAX_DELTAS = 10_000;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static RowDelta delta(int n) {
    return new RowDelta(Op.values()[n % 3], "todos", "row-" + n, "client-" + n % 7,
        List.of(new ColumnValue("title", "\"task " + n + " \u00e9\u6f22\ud83d\ude00\""), new ColumnValue("done", "true"),
            new ColumnValue("blank", "")),
        n == 0 ? -1L : 1_700_000_000_000L << 16 | n, "%064x".formatted(n));
  }

  private static List<RowDelta> deltas(int count) {
    return IntStream.range(0, count).mapToObj(GatewaySerializerTest::delta).toList();
  }

  /** Serialized as bound, by this serializer, and read back through the extension as a journal or a peer would. */
  private static Object roundTrip(Object message) throws NotSerializableException {
    Serializer serializer = serialization.findSerializerFor(message);
    assertThat(serializer).isInstanceOf(GatewaySerializer.class);
    byte[] bytes = serializer.toBinary(message);
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
  }

  @Test
  void pushesWithAndWithoutAnOriginAndOfEverySize() throws Exception {
    TestProbe<SyncGateway.PushReply> replyTo = testKit.createTestProbe();
    TestProbe<Broadcast> origin = testKit.createTestProbe();
    for (Push push : List.of(
        new Push("client-1", deltas(3), origin.ref(), replyTo.ref()),
        new Push("client-1", deltas(3), null, replyTo.ref()),
        new Push("", List.of(), null, replyTo.ref()),
        new Push("client-1", deltas(MAX_DELTAS), origin.ref(), replyTo.ref()))) {
      assertThat(roundTrip(push)).isEqualTo(push);
    }
  }

  @Test
  void everyPushReply() throws Exception {
    List<SyncGateway.PushReply> replies = new ArrayList<>(List.of(
        new PushAccepted(-1L, 3, deltas(3), 1_234_567),
        new PushAccepted(0, 0, List.of(), 0),
        new PushAccepted(42, MAX_DELTAS, deltas(MAX_DELTAS), Long.MAX_VALUE),
        new PushRefused(Refusal.CLOCK_DRIFT, null),
        new PushThrottled(Duration.ofSeconds(3, 500), "lake behind"),
        new PushThrottled(null, null),
        new PushNotJournaled(Duration.ofSeconds(1), "retry"),
        new PushNotJournaled(Duration.ZERO, "")));
    for (Refusal reason : Refusal.values()) {
      replies.add(new PushRefused(reason, "because " + reason));
    }
    for (SyncGateway.PushReply reply : replies) {
      assertThat(roundTrip(reply)).isEqualTo(reply);
    }
  }

  @Test
  void broadcastsCarryTheirFrameAsItWas() throws Exception {
    byte[] large = new byte[4 * 1024 * 1024 - 1024];
    Arrays.fill(large, (byte) 0xfe);
    for (byte[] frame : List.of(new byte[0], new byte[] {0, 1, (byte) 0xff}, large)) {
      assertThat(((Broadcast) roundTrip(new Broadcast(frame))).frame()).isEqualTo(frame);
    }
  }

  @Test
  void everyJournalEvent() throws Exception {
    List<Accepted> accepted = IntStream.range(0, MAX_DELTAS).mapToObj(n -> new Accepted(delta(n), n == 0 ? -1L : n))
        .toList();
    List<TableSchema.Column> columns = Arrays.stream(ColumnType.values())
        .map(type -> new TableSchema.Column("c_" + type.wireName(), type)).toList();
    List<SyncRules.Filter> filters = Arrays.stream(SyncRules.Op.values())
        .map(op -> new SyncRules.Filter("owner", op, "jwt:sub")).toList();
    List<GatewayLedger.Event> events = List.of(
        new DeltasAccepted(accepted.subList(0, 1)),
        new DeltasAccepted(accepted),
        new DeltasAccepted(List.of()),
        new SchemaRegistered(new TableSchema("todos", columns)),
        new SchemaRegistered(new TableSchema("todos", List.of(new TableSchema.Column("c", null)))),
        new SyncRulesSet(new SyncRules(7, List.of(
            new SyncRules.Bucket("mine", List.of("todos", "notes"), filters),
            new SyncRules.Bucket("all", List.of(), List.of(new SyncRules.Filter("c", SyncRules.Op.EQ, null)))))),
        new SyncRulesSet(new SyncRules(0, List.of())),
        new FlushPlanned(1, -1L),
        new FlushPlanned(Long.MAX_VALUE, 0),
        new Flushed(3, 99, List.of("todos", "notes")),
        new Flushed(0, 0, List.of()));
    for (GatewayLedger.Event event : events) {
      assertThat(roundTrip(event)).isEqualTo(event);
    }
  }

  /** Events journaled before this serializer were CBOR: stored with jackson-cbor's id, they still read back. */
  @Test
  void eventsJournaledWithCborStillReplay() throws Exception {
    Serializer cbor = serialization.serializerByIdentity().apply(33); // jackson-cbor, as Pekko numbers it
    assertThat(cbor.getClass().getSimpleName()).isEqualTo("JacksonCborSerializer");
    for (GatewayLedger.Event event : List.of(
        new DeltasAccepted(List.of(new Accepted(delta(1), 5), new Accepted(delta(2), 6))),
        new SchemaRegistered(new TableSchema("todos", List.of(new TableSchema.Column("title", ColumnType.STRING)))),
        new SyncRulesSet(new SyncRules(2, List.of(new SyncRules.Bucket("b", List.of("todos"),
            List.of(new SyncRules.Filter("owner", SyncRules.Op.EQ, "jwt:sub")))))),
        new FlushPlanned(4, 6),
        new Flushed(4, 6, List.of("todos")))) {
      byte[] stored = cbor.toBinary(event);
      Object replayed = serialization.deserialize(stored, 33, Serializers.manifestFor(cbor, event)).get();
      assertThat(replayed).isEqualTo(event);
      assertThat(serialization.findSerializerFor(event)).isInstanceOf(GatewaySerializer.class);
    }
  }

  @Test
  void anUnknownManifestOrCorruptBytesAreRefused() {
    GatewaySerializer serializer = (GatewaySerializer) serialization.serializerByIdentity().apply(1_404_202);
    assertThatThrownBy(() -> serializer.fromBinary(new byte[0], "push-v9")).isInstanceOf(NotSerializableException.class);
    assertThatThrownBy(() -> serializer.fromBinary(new byte[] {(byte) 0xff, 0x01}, "deltas-accepted"))
        .isInstanceOf(NotSerializableException.class);
  }
}
