package io.lakeshard.core.delta;

import com.google.protobuf.ByteString;
import io.lakeshard.protocol.ProtocolException;
import io.lakeshard.protocol.v1.ColumnDelta;
import io.lakeshard.protocol.v1.DeltaOp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Converts deltas between the lakesync.v1 wire messages and the domain records. */
public final class WireDeltas {
  /**
   * Table, column and client names, shared: every buffered delta repeats the same few, and a
   * gateway holds up to megabytes of deltas until they reach the lake. Bounded, so a client
   * inventing names costs a copy per delta, never unbounded memory.
   */
  private static final int MAX_SHARED_NAMES = 65_536;
  private static final ConcurrentHashMap<String, String> SHARED_NAMES = new ConcurrentHashMap<>();

  private WireDeltas() {}

  static String shared(String name) {
    String known = SHARED_NAMES.get(name);
    if (known != null) {
      return known;
    }
    if (SHARED_NAMES.size() >= MAX_SHARED_NAMES) {
      return name;
    }
    known = SHARED_NAMES.putIfAbsent(name, name);
    return known != null ? known : name;
  }

  public static List<RowDelta> fromWire(List<io.lakeshard.protocol.v1.RowDelta> wire) throws ProtocolException {
    List<RowDelta> deltas = new ArrayList<>(wire.size());
    for (io.lakeshard.protocol.v1.RowDelta delta : wire) {
      deltas.add(fromWire(delta));
    }
    return deltas;
  }

  public static RowDelta fromWire(io.lakeshard.protocol.v1.RowDelta wire) throws ProtocolException {
    List<ColumnValue> columns = new ArrayList<>(wire.getColumnsCount());
    for (ColumnDelta column : wire.getColumnsList()) {
      if (column.getColumn().isEmpty()) {
        throw new ProtocolException("column name is required");
      }
      String json = column.getValue().isEmpty() ? "null" : column.getValue().toStringUtf8();
      // Refused here, not at flush time, where one bad value would stop the gateway's flushes.
      if (!JsonValues.isValid(json)) {
        throw new ProtocolException("column '" + column.getColumn() + "' of row '" + wire.getRowId()
            + "' is not a JSON value");
      }
      columns.add(new ColumnValue(shared(column.getColumn()), json));
    }
    // A client may leave deltaId out; computing it here keeps the hashing off the entity's thread.
    String deltaId = wire.getDeltaId();
    if (deltaId.isEmpty()) {
      try {
        deltaId = DeltaIds.compute(wire.getClientId(), wire.getHlc(), wire.getTable(), wire.getRowId(), columns);
      } catch (IllegalArgumentException e) {
        throw new ProtocolException(e.getMessage(), e);
      }
    }
    return new RowDelta(op(wire.getOp()), shared(wire.getTable()), wire.getRowId(), shared(wire.getClientId()),
        List.copyOf(columns), wire.getHlc(), deltaId);
  }

  /**
   * A delta as a node wrote it with {@link #toWire} (between nodes, in the journal), checked when
   * its client sent it: read back exactly, without {@link #fromWire}'s checks and defaults.
   */
  public static RowDelta fromNode(io.lakeshard.protocol.v1.RowDelta wire) throws ProtocolException {
    List<ColumnValue> columns = new ArrayList<>(wire.getColumnsCount());
    for (ColumnDelta column : wire.getColumnsList()) {
      columns.add(new ColumnValue(shared(column.getColumn()), column.getValue().toStringUtf8()));
    }
    return new RowDelta(op(wire.getOp()), shared(wire.getTable()), wire.getRowId(), shared(wire.getClientId()),
        List.copyOf(columns), wire.getHlc(), wire.getDeltaId());
  }

  public static List<io.lakeshard.protocol.v1.RowDelta> toWire(List<RowDelta> deltas) {
    List<io.lakeshard.protocol.v1.RowDelta> wire = new ArrayList<>(deltas.size());
    for (RowDelta delta : deltas) {
      wire.add(toWire(delta));
    }
    return wire;
  }

  public static io.lakeshard.protocol.v1.RowDelta toWire(RowDelta delta) {
    io.lakeshard.protocol.v1.RowDelta.Builder builder = io.lakeshard.protocol.v1.RowDelta.newBuilder()
        .setOp(switch (delta.op()) {
          case INSERT -> DeltaOp.DELTA_OP_INSERT;
          case UPDATE -> DeltaOp.DELTA_OP_UPDATE;
          case DELETE -> DeltaOp.DELTA_OP_DELETE;
        })
        .setTable(delta.table())
        .setRowId(delta.rowId())
        .setClientId(delta.clientId())
        .setHlc(delta.hlc())
        .setDeltaId(delta.deltaId());
    for (ColumnValue column : delta.columns()) {
      builder.addColumns(ColumnDelta.newBuilder()
          .setColumn(column.column())
          .setValue(ByteString.copyFromUtf8(column.json())));
    }
    return builder.build();
  }

  private static Op op(DeltaOp op) throws ProtocolException {
    return switch (op) {
      case DELTA_OP_INSERT -> Op.INSERT;
      case DELTA_OP_UPDATE -> Op.UPDATE;
      case DELTA_OP_DELETE -> Op.DELETE;
      default -> throw new ProtocolException("unknown op " + op);
    };
  }
}
