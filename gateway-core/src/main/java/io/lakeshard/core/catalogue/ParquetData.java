package io.lakeshard.core.catalogue;

import java.io.IOException;
import java.util.List;
import java.util.function.Function;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;

/**
 * Parquet data files of a table, written and read with Iceberg's own Parquet writer and readers,
 * so files carry the table's field ids and their column metrics land in the manifest.
 */
final class ParquetData {
  private ParquetData() {}

  /** Writes {@code rows} (all in {@code partition}), each laid out by {@code toRecord}, as one data file. */
  static <T> DataFile write(Table table, OutputFile out, StructLike partition, List<T> rows,
                            Function<T, Record> toRecord) throws IOException {
    DataWriter<Record> writer = Parquet.writeData(out)
        .schema(table.schema())
        .withSpec(table.spec())
        .withPartition(partition)
        .setAll(table.properties())
        .set(TableProperties.PARQUET_COMPRESSION, "snappy")
        .createWriterFunc(GenericParquetWriter::create)
        .overwrite()
        .build();
    try (writer) {
      for (T row : rows) {
        writer.write(toRecord.apply(row));
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
}
