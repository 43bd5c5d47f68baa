package io.lakeshard.core.catalogue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.data.parquet.InternalWriter;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Types;

/**
 * Parquet data files of a table, written and read with Iceberg's own Parquet writer and readers,
 * so files carry the table's field ids and their column metrics land in the manifest. Records
 * are written in Iceberg's internal representation (a timestamp is its long of microseconds):
 * no date-time object is made per row, nor converted back for the partition and the column.
 * They are read back as generic records (a timestamp is an OffsetDateTime).
 */
final class ParquetData {
  /**
   * The writer's dictionary budget per column, unless the table sets its own. Most columns the
   * lake writes are unique per row (ids, stamps, clocks): with Parquet's 2 MiB default they are
   * dictionary-encoded until the dictionary is full and then encoded again as plain, ~25 % of a
   * flush. 32 KiB still holds the columns that repeat (op, table, clientId, storeId) and makes
   * the unique ones give up after a few hundred rows. (Iceberg 1.11 has no per-column switch.)
   */
  static final int DICTIONARY_BYTES = 32 * 1024;

  private ParquetData() {}

  private static final long MICROS_PER_DAY = 86_400_000_000L;
  /** No day yet, or a row without one (no day of real microseconds is this). */
  private static final long NO_DAY = Long.MIN_VALUE;

  /**
   * The (internal) records grouped by their partition in {@code table}, in order of first
   * appearance. Rows come in stamp order, so a partition (a day) is a run: its key is computed
   * and looked up only when the run changes. When the spec is one day of a timestamp column
   * (the gateways' tables), the run is found by dividing the column's microseconds, not by the
   * transform (DateTimeUtil makes a date-time per row: ~6 % of a 16 000-row flush).
   */
  static Map<StructLike, List<Record>> byPartition(Table table, Iterable<Record> records) {
    PartitionKey key = new PartitionKey(table.spec(), table.schema());
    int dayPosition = onlyDayPosition(table);
    Map<StructLike, List<Record>> byPartition = new LinkedHashMap<>();
    StructLike currentKey = null;
    List<Record> current = null;
    long currentDay = NO_DAY;
    for (Record record : records) {
      if (dayPosition >= 0) {
        Object micros = record.get(dayPosition);
        long day = micros == null ? NO_DAY : Math.floorDiv((Long) micros, MICROS_PER_DAY);
        if (day != NO_DAY && day == currentDay) {
          current.add(record); // the same day as the row before: the same partition
          continue;
        }
        currentDay = day;
      }
      key.partition(record);
      if (!key.equals(currentKey)) {
        currentKey = key.copy();
        current = byPartition.computeIfAbsent(currentKey, partition -> new ArrayList<>());
      }
      current.add(record);
    }
    return byPartition;
  }

  /**
   * The position of the source column when the table is partitioned by one day of a top-level
   * timestamp (microseconds) column, else -1.
   */
  private static int onlyDayPosition(Table table) {
    List<PartitionField> fields = table.spec().fields();
    if (fields.size() != 1 || !"day".equals(fields.get(0).transform().toString())) {
      return -1;
    }
    Types.NestedField source = table.schema().findField(fields.get(0).sourceId());
    return source != null && source.type() instanceof Types.TimestampType ? table.schema().columns().indexOf(source) : -1;
  }

  /** Writes {@code records} (internal, all in {@code partition}) as one data file. */
  static DataFile write(Table table, OutputFile out, StructLike partition, List<Record> records) throws IOException {
    DataWriter<Record> writer = Parquet.writeData(out)
        .schema(table.schema())
        .withSpec(table.spec())
        .withPartition(partition)
        // the table's metrics modes (e.g. livestore.events keeps storeId bounds whole); the builder's default truncates
        .metricsConfig(MetricsConfig.forTable(table))
        .set(TableProperties.PARQUET_DICT_SIZE_BYTES, Integer.toString(DICTIONARY_BYTES))
        .setAll(table.properties())
        .set(TableProperties.PARQUET_COMPRESSION, "snappy")
        .createWriterFunc(InternalWriter::createWriter)
        .overwrite()
        .build();
    try (writer) {
      for (Record record : records) {
        writer.write(record);
      }
    }
    return writer.toDataFile();
  }

  /**
   * The file's rows in {@code schema}. {@code filter} only skips row groups by their statistics:
   * callers check each row again.
   */
  static CloseableIterable<Record> read(InputFile file, Schema schema, Expression filter) {
    return Parquet.read(file)
        .project(schema)
        .filter(filter)
        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema))
        .build();
  }

  /** The file's lowest value of int64 column {@code fieldId} from its manifest metrics, or {@code absent}. */
  static long lowerBound(DataFile file, int fieldId, long absent) {
    return bound(file.lowerBounds(), fieldId, absent);
  }

  /** The file's highest value of int64 column {@code fieldId} from its manifest metrics, or {@code absent}. */
  static long upperBound(DataFile file, int fieldId, long absent) {
    return bound(file.upperBounds(), fieldId, absent);
  }

  private static long bound(Map<Integer, ByteBuffer> bounds, int fieldId, long absent) {
    ByteBuffer bound = bounds == null ? null : bounds.get(fieldId);
    return bound == null ? absent : Conversions.<Long>fromByteBuffer(Types.LongType.get(), bound);
  }
}
