package io.lakeshard.core.schema;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.RowDelta;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A table's registered columns (LakeSync's TableSchema: a column allow-list with type hints).
 * Deltas may leave columns out; they may not name unknown columns or send a value of another type.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TableSchema(String table, List<Column> columns) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public record Column(String name, ColumnType type) {}

  /** Parses and checks a schema sent by an admin. */
  public static TableSchema parse(byte[] json) throws InvalidSchemaException {
    TableSchema schema;
    try {
      schema = MAPPER.readValue(json, TableSchema.class);
    } catch (JacksonException e) {
      throw new InvalidSchemaException("invalid schema: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new InvalidSchemaException("unreadable schema: " + e.getMessage());
    }
    if (schema == null || schema.table() == null || schema.table().isEmpty()) {
      throw new InvalidSchemaException("schema needs a table");
    }
    if (!Identifiers.valid(schema.table())) {
      throw new InvalidSchemaException("invalid table name \"" + schema.table() + "\": " + Identifiers.RULE);
    }
    if (schema.columns() == null || schema.columns().isEmpty()) {
      throw new InvalidSchemaException("schema needs at least one column");
    }
    Set<String> names = new HashSet<>();
    for (Column column : schema.columns()) {
      if (column == null || column.name() == null || column.name().isEmpty() || column.type() == null) {
        throw new InvalidSchemaException("every column needs a name and a type (string, number, boolean, json, null)");
      }
      if (!Identifiers.valid(column.name())) {
        throw new InvalidSchemaException("invalid column name \"" + column.name() + "\": " + Identifiers.RULE);
      }
      if (LakeColumns.RESERVED.contains(column.name())) {
        throw new InvalidSchemaException("column name " + column.name() + " is reserved for the lake's own columns "
            + new TreeSet<>(LakeColumns.RESERVED));
      }
      if (!names.add(column.name())) {
        throw new InvalidSchemaException("column " + column.name() + " appears twice");
      }
    }
    return new TableSchema(schema.table(), List.copyOf(schema.columns()));
  }

  /** Why a delta breaks this schema, if it does. */
  public Optional<String> violation(RowDelta delta) {
    for (ColumnValue value : delta.columns()) {
      ColumnType type = typeOf(value.column());
      if (type == null) {
        return Optional.of("unknown column \"" + value.column() + "\" for table \"" + table + "\"");
      }
      if (!type.accepts(value.json())) {
        return Optional.of("column \"" + value.column() + "\" of table \"" + table + "\" is " + type.wireName()
            + ", got " + value.json());
      }
    }
    return Optional.empty();
  }

  /** Why this schema cannot replace {@code previous}: only adding columns is allowed. */
  public Optional<String> incompatibleWith(TableSchema previous) {
    for (Column old : previous.columns()) {
      ColumnType now = typeOf(old.name());
      if (now == null) {
        return Optional.of("cannot remove column \"" + old.name() + "\"; only adding columns is supported");
      }
      if (now != old.type()) {
        return Optional.of("cannot change column \"" + old.name() + "\" from " + old.type().wireName()
            + " to " + now.wireName());
      }
    }
    return Optional.empty();
  }

  /** Tables have few columns: a scan beats building a map on every delta. */
  private ColumnType typeOf(String name) {
    for (Column column : columns) {
      if (column.name().equals(name)) {
        return column.type();
      }
    }
    return null;
  }

  /** A schema an admin sent that cannot be used. */
  public static final class InvalidSchemaException extends Exception {
    InvalidSchemaException(String message) {
      super(message);
    }
  }
}
