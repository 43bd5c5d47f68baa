package io.lakeshard.core.catalogue;

import io.lakeshard.core.eventstore.LiveEvent;
import io.lakeshard.core.eventstore.StoredEvent;
import java.time.OffsetDateTime;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.types.Types.NestedField;

/**
 * How LiveStore events are laid out in {@code livestore.events}: one row per event, the columns
 * LiveStore's own server keeps ({@code eventlog_7_<store>}) plus the store and its incarnation.
 * {@code args} is the event's JSON text as the client sent it (null when it sent none);
 * {@code clientId} and {@code sessionId} are optional so a malformed event can never make a
 * store's flush fail for good.
 */
final class EventRecords {
  static final String STORE_ID = "storeId";
  static final String BACKEND_ID = "backendId";
  static final String SEQ_NUM = "seqNum";
  static final String CREATED_AT = "createdAt";

  static final Schema SCHEMA = new Schema(
      NestedField.required(1, STORE_ID, Types.StringType.get()),
      NestedField.required(2, SEQ_NUM, Types.LongType.get()),
      NestedField.required(3, "parentSeqNum", Types.LongType.get()),
      NestedField.required(4, "name", Types.StringType.get()),
      NestedField.optional(5, "args", Types.StringType.get(), DeltaRecords.JSON_TEXT),
      NestedField.optional(6, "clientId", Types.StringType.get()),
      NestedField.optional(7, "sessionId", Types.StringType.get()),
      NestedField.required(8, CREATED_AT, Types.TimestampType.withZone(), "when the event's push was accepted"),
      NestedField.required(9, BACKEND_ID, Types.StringType.get(),
          "the store's incarnation: a store whose journal was lost starts again at seqNum 1 under a new one"));

  private EventRecords() {}

  /** By day of acceptance (queries by time) and by a hash of the store (reads of one store skip the others' files). */
  static PartitionSpec partitionSpec(int storeBuckets) {
    return PartitionSpec.builderFor(SCHEMA).day(CREATED_AT).bucket(STORE_ID, storeBuckets).build();
  }

  /** One event as a row in Iceberg's internal representation ({@link ParquetData}). */
  static Record toRecord(Schema schema, String storeId, String backendId, StoredEvent stored) {
    LiveEvent event = stored.event();
    Record record = GenericRecord.create(schema);
    record.setField(STORE_ID, storeId);
    record.setField(BACKEND_ID, backendId);
    record.setField(SEQ_NUM, event.seqNum());
    record.setField("parentSeqNum", event.parentSeqNum());
    record.setField("name", event.name());
    record.setField("args", event.argsJson());
    record.setField("clientId", event.clientId());
    record.setField("sessionId", event.sessionId());
    record.setField(CREATED_AT, stored.createdAt() * 1000); // internal (ParquetData): microseconds
    return record;
  }

  static StoredEvent fromRecord(Record record) {
    LiveEvent event = new LiveEvent((Long) record.getField(SEQ_NUM), (Long) record.getField("parentSeqNum"),
        (String) record.getField("name"), (String) record.getField("args"), (String) record.getField("clientId"),
        (String) record.getField("sessionId"));
    return new StoredEvent(event, ((OffsetDateTime) record.getField(CREATED_AT)).toInstant().toEpochMilli());
  }
}
