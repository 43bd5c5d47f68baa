package io.lakeshard.core.gateway;

import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.gateway.SyncGateway.PushRefused;
import io.lakeshard.core.gateway.SyncGateway.Refusal;
import io.lakeshard.core.schema.Identifiers;
import io.lakeshard.core.schema.TableSchema;
import java.util.Map;
import java.util.Optional;

/** The rules every delta of a push must keep; a push that breaks one is refused whole. */
final class PushChecks {
  private PushChecks() {}

  /** Why {@code delta}, pushed by {@code clientId}, is refused; null when it keeps every rule. */
  static PushRefused refusal(RowDelta delta, String clientId, Map<String, TableSchema> schemas) {
    if (!Identifiers.valid(delta.table())) {
      return new PushRefused(Refusal.SCHEMA_MISMATCH, "invalid table name \"" + delta.table() + "\": " + Identifiers.RULE);
    }
    if (!delta.clientId().equals(clientId)) {
      return invalid("delta clientId '" + delta.clientId() + "' differs from the push's '" + clientId + "'");
    }
    if (delta.rowId().isEmpty() || delta.deltaId().isEmpty()) {
      return invalid("delta needs a rowId and a deltaId");
    }
    for (var column : delta.columns()) {
      if (column.column().isEmpty()) {
        return invalid("column name is required");
      }
    }
    TableSchema schema = schemas.get(delta.table());
    Optional<String> violation = schema == null ? Optional.empty() : schema.violation(delta);
    return violation.map(why -> new PushRefused(Refusal.SCHEMA_MISMATCH, why)).orElse(null);
  }

  private static PushRefused invalid(String message) {
    return new PushRefused(Refusal.INVALID_DELTA, message);
  }
}
