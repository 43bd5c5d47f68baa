package io.lakeshard.core.checkpoint;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import java.util.List;

/**
 * Where a checkpoint's rows come from, captured on the gateway in one step so nothing is missed or
 * counted twice: everything stamped up to {@code snapshotStamp} is either in the lake (stamps up
 * to {@code flushedUpTo}, in {@code tables}) or in {@code buffered} (the unflushed deltas, which
 * are all stamped after {@code flushedUpTo}).
 */
public record CheckpointSource(String gatewayId, long snapshotStamp, long flushedUpTo, List<String> tables,
                               List<Accepted> buffered) {}
