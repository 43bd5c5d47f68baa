package io.lakeshard.node.journal;

/**
 * One journaled event as the segment files keep it: the columns pekko-persistence-jdbc keeps
 * (writer, timestamp, adapter manifest, the serializer's id and manifest, the payload's bytes),
 * so events copied over from the H2 journal are the same bytes.
 */
public record StoredEvent(String persistenceId, long sequenceNr, String writerUuid, long timestamp,
                          String adapterManifest, int serializerId, String serializerManifest, byte[] payload) {}
