package io.lakeshard.core.catalogue;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.schema.TableSchema;
import java.io.IOException;
import java.util.List;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;

/**
 * One Parquet data file of deltas, one row per delta, written with Iceberg's own Parquet writer
 * so the file carries the table's field ids and its column metrics land in the manifest.
 */
final class ParquetDeltaWriter {
  private ParquetDeltaWriter() {}

  /** Writes {@code rows} (all in {@code partition}) laid out by the table's current schema. */
  static DataFile write(Table table, OutputFile out, StructLike partition, List<Accepted> rows,
                               TableSchema registered) throws IOException {
    Schema schema = table.schema();
    DataWriter<Record> writer = Parquet.writeData(out)
        .schema(schema)
        .withSpec(table.spec())
        .withPartition(partition)
        .setAll(table.properties())
        .set(TableProperties.PARQUET_COMPRESSION, "snappy")
        .createWriterFunc(GenericParquetWriter::create)
        .overwrite()
        .build();
    try (writer) {
      for (Accepted accepted : rows) {
        writer.write(DeltaRecords.toRecord(schema, accepted, registered));
      }
    }
    return writer.toDataFile();
  }
}
