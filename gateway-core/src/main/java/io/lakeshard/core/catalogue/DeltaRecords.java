package io.lakeshard.core.catalogue;

import static io.lakeshard.core.schema.LakeColumns.ACCEPTED_AT;
import static io.lakeshard.core.schema.LakeColumns.COLUMNS_JSON;
import static io.lakeshard.core.schema.LakeColumns.STAMP;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.JsonValues;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.hlc.HybridClock;
import io.lakeshard.core.schema.ColumnType;
import io.lakeshard.core.schema.LakeColumns;
import io.lakeshard.core.schema.TableSchema;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.types.Types.NestedField;

/**
 * How deltas are laid out in an Iceberg table: one row per delta with {@code op, table, rowId,
 * clientId, deltaId} (string), {@code hlc} and {@code stamp} (int64), {@code acceptedAt} (the
 * stamp's wall clock, which the table is partitioned by, by day), a {@code columns} JSON object,
 * then the table's registered columns, typed. Without a schema the JSON object holds every column
 * of the delta; with one, only the typed columns the delta set to null or to a value of another
 * type (buffered before the schema was registered).
 */
public final class DeltaRecords {
  /** The doc of a string column that holds JSON text (LakeSync's json and null types), not a string. */
  static final String JSON_TEXT = "JSON text";
  private static final String COLUMNS_DOC = "The delta's columns as a JSON object: all of them when the table has no"
      + " schema, else the typed columns it set to null (a typed null alone cannot tell 'set to null' from 'not set')";

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();

  private static final List<NestedField> BASE = List.of(
      NestedField.required(1, "op", Types.StringType.get()),
      NestedField.required(2, "table", Types.StringType.get()),
      NestedField.required(3, "rowId", Types.StringType.get()),
      NestedField.required(4, "clientId", Types.StringType.get()),
      NestedField.required(5, "deltaId", Types.StringType.get()),
      NestedField.required(6, "hlc", Types.LongType.get()),
      NestedField.required(7, STAMP, Types.LongType.get()),
      NestedField.required(8, ACCEPTED_AT, Types.TimestampType.withZone()));

  private DeltaRecords() {}

  /** The columns a table needs to hold deltas laid out by {@code schema} (null: schemaless). */
  public static Schema icebergSchema(TableSchema schema) {
    List<NestedField> fields = new ArrayList<>(BASE);
    int id = BASE.size();
    fields.add(NestedField.optional(++id, COLUMNS_JSON, Types.StringType.get(), COLUMNS_DOC));
    if (schema != null) {
      for (TableSchema.Column column : schema.columns()) {
        fields.add(NestedField.optional(++id, column.name(), icebergType(column.type()),
            column.type() == ColumnType.JSON || column.type() == ColumnType.NULL ? JSON_TEXT : null));
      }
    }
    return new Schema(fields);
  }

  public static PartitionSpec partitionSpec(Schema schema) {
    return PartitionSpec.builderFor(schema).day(ACCEPTED_AT).build();
  }

  /** JS numbers are doubles; json and null columns keep their JSON text. */
  private static Type icebergType(ColumnType type) {
    return switch (type) {
      case NUMBER -> Types.DoubleType.get();
      case BOOLEAN -> Types.BooleanType.get();
      case STRING, JSON, NULL -> Types.StringType.get();
    };
  }

  /**
   * One delta as a row, in Iceberg's internal representation ({@link ParquetData}), of the table
   * whose empty row is {@code empty} ({@link GenericRecord#create} once per flush: a copy of it
   * is cheaper than a new record of the schema).
   */
  public static Record toRecord(Record empty, Accepted accepted, TableSchema registered) {
    RowDelta delta = accepted.delta();
    Record record = empty.copy();
    record.setField("op", delta.op().name());
    record.setField("table", delta.table());
    record.setField("rowId", delta.rowId());
    record.setField("clientId", delta.clientId());
    record.setField("deltaId", delta.deltaId());
    record.setField("hlc", delta.hlc());
    record.setField(STAMP, accepted.stamp());
    record.setField(ACCEPTED_AT, HybridClock.wallOf(accepted.stamp()) * 1000); // internal: microseconds
    if (registered == null) {
      record.setField(COLUMNS_JSON, columnsObject(delta.columns()));
    } else {
      List<ColumnValue> kept = new ArrayList<>();
      for (ColumnValue column : delta.columns()) {
        Types.NestedField field = record.struct().field(column.column());
        Object value = fromJson(field, column.json());
        record.setField(column.column(), value);
        if (value == null) {
          kept.add(column);
        }
      }
      if (!kept.isEmpty()) {
        record.setField(COLUMNS_JSON, columnsObject(kept));
      }
    }
    return record;
  }

  /** A delta back from a row: typed columns that hold a value, and the schemaless JSON object. */
  public static Accepted fromRecord(Record record) {
    List<ColumnValue> columns = new ArrayList<>();
    for (NestedField field : record.struct().fields()) {
      String name = field.name();
      Object value = record.getField(name);
      if (value == null || LakeColumns.RESERVED.contains(name)) {
        continue;
      }
      columns.add(new ColumnValue(name, toJson(field, value)));
    }
    Object json = record.getField(COLUMNS_JSON);
    if (json != null) {
      parseColumnsObject((String) json, columns);
    }
    RowDelta delta = new RowDelta(Op.valueOf((String) record.getField("op")), (String) record.getField("table"),
        (String) record.getField("rowId"), (String) record.getField("clientId"), List.copyOf(columns),
        (Long) record.getField("hlc"), (String) record.getField("deltaId"));
    return new Accepted(delta, (Long) record.getField(STAMP));
  }

  /** The values are JSON already (checked on the way in): they go in as they came. */
  private static String columnsObject(List<ColumnValue> columns) {
    StringBuilder object = new StringBuilder(64 * columns.size()).append('{');
    for (ColumnValue column : columns) {
      if (object.length() > 1) {
        object.append(',');
      }
      object.append('"').append(JsonStringEncoder.getInstance().quoteAsString(column.column())).append("\":")
          .append(column.json());
    }
    return object.append('}').toString();
  }

  private static void parseColumnsObject(String json, List<ColumnValue> into) {
    for (Map.Entry<String, JsonNode> entry : parse(json).properties()) {
      into.add(new ColumnValue(entry.getKey(), entry.getValue().toString()));
    }
  }

  /**
   * The typed value of a cell, or null when the delta set it to null or its value does not fit
   * the column's type (a delta buffered before its table's schema was registered): either way the
   * caller keeps the JSON in the {@code columns} object, so nothing is lost.
   */
  private static Object fromJson(NestedField field, String json) {
    if (JSON_TEXT.equals(field.doc())) {
      return json;
    }
    Object value;
    try {
      value = JsonValues.scalar(json);
    } catch (IllegalArgumentException notScalar) {
      return null;
    }
    boolean fits = switch (field.type().typeId()) {
      case DOUBLE -> value instanceof Double;
      case BOOLEAN -> value instanceof Boolean;
      default -> value instanceof String;
    };
    return fits ? value : null;
  }

  private static String toJson(NestedField field, Object value) {
    if (JSON_TEXT.equals(field.doc())) {
      return (String) value;
    }
    return switch (field.type().typeId()) {
      case DOUBLE -> numberJson((Double) value);
      case BOOLEAN -> value.toString();
      default -> JSON.getNodeFactory().textNode((String) value).toString();
    };
  }

  /** As JavaScript prints a number: integral values without a fraction (exact as a long below 2^53). */
  private static String numberJson(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 0x1p53) {
      return Long.toString((long) value);
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e21) {
      return new BigDecimal(value).toBigInteger().toString();
    }
    return Double.toString(value);
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }
}
