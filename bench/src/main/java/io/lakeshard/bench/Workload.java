package io.lakeshard.bench;

import com.google.protobuf.ByteString;
import io.lakeshard.protocol.Tokens;
import io.lakeshard.protocol.v1.ColumnDelta;
import io.lakeshard.protocol.v1.DeltaOp;
import io.lakeshard.protocol.v1.RowDelta;
import io.lakeshard.protocol.v1.SyncPush;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;

/**
 * What the benchmark's clients send: HS256 tokens as the node checks them, and deltas as a
 * LakeSync client builds them (its own HLC, the deltaId it computes itself, JSON column values).
 */
final class Workload {
  static final String TABLE = "todos";
  /** Rows per client: updates cycle through them, so the gateway's row index stays bounded. */
  static final int ROWS_PER_CLIENT = 10_000;

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });
  private static final ByteString FALSE = ByteString.copyFromUtf8("false");
  private static final ByteString TRUE = ByteString.copyFromUtf8("true");

  private final String secret;

  Workload(String secret) {
    this.secret = secret;
  }

  /** {@code sub} = clientId, {@code gw} = gateway, {@code role=admin} when asked; valid 24 h. */
  String token(String clientId, String gatewayId, boolean admin) {
    return Tokens.gateway(secret, clientId, gatewayId, admin, Duration.ofHours(24), Clock.systemUTC());
  }

  /** One client's stream of deltas: a hybrid logical clock and a row counter. Not thread-safe. */
  static final class Client {
    final String clientId;
    private final String rowPrefix;
    private final long rows;
    private long hlc;
    private long seq;

    Client(String clientId) {
      this(clientId, ROWS_PER_CLIENT);
    }

    /** Updates cycle through {@code rows} rows ({@code Long.MAX_VALUE}: every delta inserts a new row). */
    Client(String clientId, long rows) {
      this.clientId = clientId;
      this.rowPrefix = clientId + ":";
      this.rows = rows;
    }

    /** HLC = wall ms << 16 | counter, strictly increasing. */
    long tick() {
      long wall = System.currentTimeMillis() << 16;
      hlc = Math.max(wall, hlc + 1);
      return hlc;
    }

    SyncPush push(int deltas) {
      SyncPush.Builder push = SyncPush.newBuilder().setClientId(clientId);
      for (int i = 0; i < deltas; i++) {
        long n = seq++;
        push.addDeltas(delta(clientId, tick(), rowPrefix + (n % rows), n < rows, n));
      }
      return push.build();
    }

    /** A push of one delta whose rowId carries {@code tag} (the broadcast scenario matches deliveries by it). */
    SyncPush tagged(String tag) {
      long n = seq++;
      return SyncPush.newBuilder().setClientId(clientId)
          .addDeltas(delta(clientId, tick(), tag, true, n)).build();
    }
  }

  /** A todo row: three columns (string, boolean, number), about 170 bytes on the wire with its deltaId. */
  static RowDelta delta(String clientId, long hlc, String rowId, boolean insert, long n) {
    String title = "benchmark task number " + n;
    boolean done = (n & 1) == 1;
    int priority = (int) (n % 5);
    String hlcText = Long.toUnsignedString(hlc);
    // LakeSync's deltaId: SHA-256 of the key-sorted JSON of {clientId, columns, hlc, rowId, table}.
    String canonical = "{\"clientId\":\"" + clientId + "\",\"columns\":[{\"column\":\"title\",\"value\":\"" + title
        + "\"},{\"column\":\"done\",\"value\":" + done + "},{\"column\":\"priority\",\"value\":" + priority
        + "}],\"hlc\":\"" + hlcText + "\",\"rowId\":\"" + rowId + "\",\"table\":\"" + TABLE + "\"}";
    String deltaId = HexFormat.of().formatHex(SHA256.get().digest(canonical.getBytes(StandardCharsets.UTF_8)));
    return RowDelta.newBuilder()
        .setOp(insert ? DeltaOp.DELTA_OP_INSERT : DeltaOp.DELTA_OP_UPDATE)
        .setTable(TABLE)
        .setRowId(rowId)
        .setClientId(clientId)
        .setHlc(hlc)
        .setDeltaId(deltaId)
        .addColumns(ColumnDelta.newBuilder().setColumn("title").setValue(ByteString.copyFromUtf8("\"" + title + "\"")))
        .addColumns(ColumnDelta.newBuilder().setColumn("done").setValue(done ? TRUE : FALSE))
        .addColumns(ColumnDelta.newBuilder().setColumn("priority").setValue(ByteString.copyFromUtf8(Integer.toString(priority))))
        .build();
  }

  /** The schema the flush scenario registers, so Parquet gets typed columns. */
  static String schemaJson() {
    return "{\"table\":\"" + TABLE + "\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"},"
        + "{\"name\":\"done\",\"type\":\"boolean\"},{\"name\":\"priority\",\"type\":\"number\"}]}";
  }
}
