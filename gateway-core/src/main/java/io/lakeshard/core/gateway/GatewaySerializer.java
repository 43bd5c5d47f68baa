package io.lakeshard.core.gateway;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.WireDeltas;
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
import io.lakeshard.core.gateway.proto.ColumnType;
import io.lakeshard.core.gateway.proto.FilterOp;
import io.lakeshard.core.gateway.proto.Refusal;
import io.lakeshard.core.gateway.proto.RetryLater;
import io.lakeshard.core.rules.SyncRules;
import io.lakeshard.core.schema.TableSchema;
import io.lakeshard.protocol.ProtocolException;
import java.io.NotSerializableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * A gateway's pushes, their replies and broadcasts between nodes, and its ledger's journal
 * events, in protobuf ({@code lakeshard_gateway.proto}, deltas as lakesync.v1 deltas) instead of
 * Jackson CBOR: a cluster node spent about a quarter of its samples in CBOR for these. Events
 * journaled with CBOR before still replay, by the serializer id stored with each of them.
 * Manifests are stable: the journal outlives the code that wrote it, so a change of shape is a
 * new manifest.
 */
public final class GatewaySerializer extends SerializerWithStringManifest {
  private static final String PUSH = "push";
  private static final String PUSH_ACCEPTED = "push-accepted";
  private static final String PUSH_REFUSED = "push-refused";
  private static final String PUSH_THROTTLED = "push-throttled";
  private static final String PUSH_NOT_JOURNALED = "push-not-journaled";
  private static final String BROADCAST = "broadcast";
  private static final String DELTAS_ACCEPTED = "deltas-accepted";
  private static final String SCHEMA_REGISTERED = "schema-registered";
  private static final String SYNC_RULES_SET = "sync-rules-set";
  private static final String FLUSH_PLANNED = "flush-planned";
  private static final String FLUSHED = "flushed";

  private static final Map<Class<?>, String> MANIFESTS = Map.ofEntries(
      Map.entry(Push.class, PUSH),
      Map.entry(PushAccepted.class, PUSH_ACCEPTED),
      Map.entry(PushRefused.class, PUSH_REFUSED),
      Map.entry(PushThrottled.class, PUSH_THROTTLED),
      Map.entry(PushNotJournaled.class, PUSH_NOT_JOURNALED),
      Map.entry(Broadcast.class, BROADCAST),
      Map.entry(DeltasAccepted.class, DELTAS_ACCEPTED),
      Map.entry(SchemaRegistered.class, SCHEMA_REGISTERED),
      Map.entry(SyncRulesSet.class, SYNC_RULES_SET),
      Map.entry(FlushPlanned.class, FLUSH_PLANNED),
      Map.entry(Flushed.class, FLUSHED));

  private final ExtendedActorSystem system;
  /** Made on first use: Pekko makes serializers before the typed system it belongs to is ready. */
  private volatile ActorRefResolver resolver;

  public GatewaySerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return 1_404_202; // unused by Pekko (below 100) and by claims-versions (1 404 201)
  }

  @Override
  public String manifest(Object o) {
    String manifest = MANIFESTS.get(o.getClass());
    if (manifest == null) {
      throw new IllegalArgumentException("not a gateway message: " + o.getClass().getName());
    }
    return manifest;
  }

  @Override
  public byte[] toBinary(Object o) {
    return message(o).toByteArray();
  }

  private MessageLite message(Object o) {
    if (o instanceof Push push) {
      var wire = io.lakeshard.core.gateway.proto.Push.newBuilder()
          .setClientId(push.clientId())
          .addAllDeltas(WireDeltas.toWire(push.deltas()))
          .setReplyTo(resolver().toSerializationFormat(push.replyTo()));
      if (push.origin() != null) {
        wire.setOrigin(resolver().toSerializationFormat(push.origin()));
      }
      return wire.build();
    } else if (o instanceof PushAccepted accepted) {
      return io.lakeshard.core.gateway.proto.PushAccepted.newBuilder()
          .setServerHlc(accepted.serverHlc())
          .setAccepted(accepted.accepted())
          .addAllDeltas(WireDeltas.toWire(accepted.deltas()))
          .setJournalNanos(accepted.journalNanos())
          .build();
    } else if (o instanceof PushRefused refused) {
      var wire = io.lakeshard.core.gateway.proto.PushRefused.newBuilder()
          .setReason(toWire(Refusal.class, "REFUSAL_", refused.reason()));
      if (refused.message() != null) {
        wire.setMessage(refused.message());
      }
      return wire.build();
    } else if (o instanceof PushThrottled throttled) {
      return retryLater(throttled.retryAfter(), throttled.message());
    } else if (o instanceof PushNotJournaled notJournaled) {
      return retryLater(notJournaled.retryAfter(), notJournaled.message());
    } else if (o instanceof Broadcast broadcast) {
      return io.lakeshard.core.gateway.proto.Broadcast.newBuilder().setFrame(ByteString.copyFrom(broadcast.frame()))
          .build();
    } else if (o instanceof DeltasAccepted event) {
      var wire = io.lakeshard.core.gateway.proto.DeltasAccepted.newBuilder();
      for (Accepted accepted : event.deltas()) {
        wire.addDeltas(io.lakeshard.core.gateway.proto.Accepted.newBuilder()
            .setDelta(WireDeltas.toWire(accepted.delta()))
            .setStamp(accepted.stamp()));
      }
      return wire.build();
    } else if (o instanceof SchemaRegistered event) {
      var wire = io.lakeshard.core.gateway.proto.SchemaRegistered.newBuilder();
      if (event.schema() != null) {
        wire.setSchema(schema(event.schema()));
      }
      return wire.build();
    } else if (o instanceof SyncRulesSet event) {
      var wire = io.lakeshard.core.gateway.proto.SyncRulesSet.newBuilder();
      if (event.rules() != null) {
        wire.setRules(rules(event.rules()));
      }
      return wire.build();
    } else if (o instanceof FlushPlanned event) {
      return io.lakeshard.core.gateway.proto.FlushPlanned.newBuilder().setSeq(event.seq()).setUpTo(event.upTo())
          .build();
    } else if (o instanceof Flushed event) {
      return io.lakeshard.core.gateway.proto.Flushed.newBuilder().setSeq(event.seq()).setUpTo(event.upTo())
          .addAllTables(event.tables()).build();
    }
    throw new IllegalArgumentException("not a gateway message: " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case PUSH -> {
          var wire = io.lakeshard.core.gateway.proto.Push.parseFrom(bytes);
          yield new Push(wire.getClientId(), deltas(wire.getDeltasList()),
              wire.hasOrigin() ? resolver().resolveActorRef(wire.getOrigin()) : null,
              resolver().resolveActorRef(wire.getReplyTo()));
        }
        case PUSH_ACCEPTED -> {
          var wire = io.lakeshard.core.gateway.proto.PushAccepted.parseFrom(bytes);
          yield new PushAccepted(wire.getServerHlc(), wire.getAccepted(), deltas(wire.getDeltasList()),
              wire.getJournalNanos());
        }
        case PUSH_REFUSED -> {
          var wire = io.lakeshard.core.gateway.proto.PushRefused.parseFrom(bytes);
          yield new PushRefused(fromWire(SyncGateway.Refusal.class, "REFUSAL_", wire.getReason()),
              wire.hasMessage() ? wire.getMessage() : null);
        }
        case PUSH_THROTTLED -> {
          RetryLater wire = RetryLater.parseFrom(bytes);
          yield new PushThrottled(retryAfter(wire), wire.hasMessage() ? wire.getMessage() : null);
        }
        case PUSH_NOT_JOURNALED -> {
          RetryLater wire = RetryLater.parseFrom(bytes);
          yield new PushNotJournaled(retryAfter(wire), wire.hasMessage() ? wire.getMessage() : null);
        }
        case BROADCAST -> new Broadcast(io.lakeshard.core.gateway.proto.Broadcast.parseFrom(bytes).getFrame()
            .toByteArray());
        case DELTAS_ACCEPTED -> {
          var wire = io.lakeshard.core.gateway.proto.DeltasAccepted.parseFrom(bytes);
          List<Accepted> deltas = new ArrayList<>(wire.getDeltasCount());
          for (var accepted : wire.getDeltasList()) {
            deltas.add(new Accepted(WireDeltas.fromNode(accepted.getDelta()), accepted.getStamp()));
          }
          yield new DeltasAccepted(List.copyOf(deltas));
        }
        case SCHEMA_REGISTERED -> {
          var wire = io.lakeshard.core.gateway.proto.SchemaRegistered.parseFrom(bytes);
          yield new SchemaRegistered(wire.hasSchema() ? schema(wire.getSchema()) : null);
        }
        case SYNC_RULES_SET -> {
          var wire = io.lakeshard.core.gateway.proto.SyncRulesSet.parseFrom(bytes);
          yield new SyncRulesSet(wire.hasRules() ? rules(wire.getRules()) : null);
        }
        case FLUSH_PLANNED -> {
          var wire = io.lakeshard.core.gateway.proto.FlushPlanned.parseFrom(bytes);
          yield new FlushPlanned(wire.getSeq(), wire.getUpTo());
        }
        case FLUSHED -> {
          var wire = io.lakeshard.core.gateway.proto.Flushed.parseFrom(bytes);
          yield new Flushed(wire.getSeq(), wire.getUpTo(), List.copyOf(wire.getTablesList()));
        }
        default -> throw new NotSerializableException("unknown gateway manifest " + manifest);
      };
    } catch (InvalidProtocolBufferException | ProtocolException | IllegalArgumentException e) {
      throw new NotSerializableException("corrupt gateway message " + manifest + ": " + e.getMessage());
    }
  }

  private ActorRefResolver resolver() {
    ActorRefResolver known = resolver;
    if (known == null) {
      known = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = known;
    }
    return known;
  }

  private static List<RowDelta> deltas(List<io.lakeshard.protocol.v1.RowDelta> wire) throws ProtocolException {
    List<RowDelta> deltas = new ArrayList<>(wire.size());
    for (io.lakeshard.protocol.v1.RowDelta delta : wire) {
      deltas.add(WireDeltas.fromNode(delta));
    }
    return List.copyOf(deltas);
  }

  private static RetryLater retryLater(Duration retryAfter, String message) {
    RetryLater.Builder wire = RetryLater.newBuilder();
    if (retryAfter != null) {
      wire.setRetryAfter(com.google.protobuf.Duration.newBuilder()
          .setSeconds(retryAfter.getSeconds()).setNanos(retryAfter.getNano()));
    }
    if (message != null) {
      wire.setMessage(message);
    }
    return wire.build();
  }

  private static Duration retryAfter(RetryLater wire) {
    return wire.hasRetryAfter()
        ? Duration.ofSeconds(wire.getRetryAfter().getSeconds(), wire.getRetryAfter().getNanos()) : null;
  }

  private static io.lakeshard.core.gateway.proto.TableSchema schema(TableSchema schema) {
    var wire = io.lakeshard.core.gateway.proto.TableSchema.newBuilder();
    if (schema.table() != null) {
      wire.setTable(schema.table());
    }
    for (TableSchema.Column column : schema.columns()) {
      var wireColumn = io.lakeshard.core.gateway.proto.Column.newBuilder()
          .setType(toWire(ColumnType.class, "COLUMN_TYPE_", column.type()));
      if (column.name() != null) {
        wireColumn.setName(column.name());
      }
      wire.addColumns(wireColumn);
    }
    return wire.build();
  }

  private static TableSchema schema(io.lakeshard.core.gateway.proto.TableSchema wire) {
    List<TableSchema.Column> columns = new ArrayList<>(wire.getColumnsCount());
    for (var column : wire.getColumnsList()) {
      columns.add(new TableSchema.Column(column.hasName() ? column.getName() : null,
          fromWire(io.lakeshard.core.schema.ColumnType.class, "COLUMN_TYPE_", column.getType())));
    }
    return new TableSchema(wire.hasTable() ? wire.getTable() : null, List.copyOf(columns));
  }

  private static io.lakeshard.core.gateway.proto.SyncRules rules(SyncRules rules) {
    var wire = io.lakeshard.core.gateway.proto.SyncRules.newBuilder().setVersion(rules.version());
    for (SyncRules.Bucket bucket : rules.buckets()) {
      var wireBucket = io.lakeshard.core.gateway.proto.Bucket.newBuilder().addAllTables(bucket.tables());
      if (bucket.name() != null) {
        wireBucket.setName(bucket.name());
      }
      for (SyncRules.Filter filter : bucket.filters()) {
        var wireFilter = io.lakeshard.core.gateway.proto.Filter.newBuilder()
            .setOp(toWire(FilterOp.class, "FILTER_OP_", filter.op()));
        if (filter.column() != null) {
          wireFilter.setColumn(filter.column());
        }
        if (filter.value() != null) {
          wireFilter.setValue(filter.value());
        }
        wireBucket.addFilters(wireFilter);
      }
      wire.addBuckets(wireBucket);
    }
    return wire.build();
  }

  private static SyncRules rules(io.lakeshard.core.gateway.proto.SyncRules wire) {
    List<SyncRules.Bucket> buckets = new ArrayList<>(wire.getBucketsCount());
    for (var bucket : wire.getBucketsList()) {
      List<SyncRules.Filter> filters = new ArrayList<>(bucket.getFiltersCount());
      for (var filter : bucket.getFiltersList()) {
        filters.add(new SyncRules.Filter(filter.hasColumn() ? filter.getColumn() : null,
            fromWire(SyncRules.Op.class, "FILTER_OP_", filter.getOp()), filter.hasValue() ? filter.getValue() : null));
      }
      buckets.add(new SyncRules.Bucket(bucket.hasName() ? bucket.getName() : null, bucket.getTablesList(), filters));
    }
    return new SyncRules(wire.getVersion(), buckets);
  }

  /** A domain enum's wire value: the same name after the proto's prefix; null as UNSPECIFIED. */
  private static <W extends Enum<W>> W toWire(Class<W> wire, String prefix, Enum<?> value) {
    return Enum.valueOf(wire, prefix + (value == null ? "UNSPECIFIED" : value.name()));
  }

  /** The inverse of {@link #toWire}; a value this code does not know is corrupt. */
  private static <E extends Enum<E>> E fromWire(Class<E> domain, String prefix, Enum<?> value) {
    String name = value.name();
    if (name.equals(prefix + "UNSPECIFIED")) {
      return null;
    }
    if (!name.startsWith(prefix)) {
      throw new IllegalArgumentException("unknown " + domain.getSimpleName() + " " + name);
    }
    return Enum.valueOf(domain, name.substring(prefix.length()));
  }
}
