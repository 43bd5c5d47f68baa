package io.lakeshard.core.eventstore;

import io.lakeshard.core.CborSerializable;

/**
 * What a flush did: {@code written} events committed now (in snapshot {@code snapshotId}, 0 when
 * none, {@code bytes} of Parquet), {@code alreadyCommitted} events found in the lake from an
 * earlier attempt of the same flush and not written again.
 */
public record EventFlushResult(long flushId, long upToSeqNum, int written, int alreadyCommitted, long snapshotId,
                               long bytes) implements CborSerializable {}
