package io.lakeshard.core.flush;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.schema.TableSchema;
import java.util.List;
import java.util.Map;

/**
 * What flush {@code seq} of a gateway writes: every buffered delta stamped up to {@code upTo}.
 * The plan is journaled before it runs, so a retry after a crash writes the same deltas under
 * the same sequence number, and the catalogue can tell whether it already committed them.
 */
public record FlushPlan(String gatewayId, long seq, long upTo, List<Accepted> deltas, Map<String, TableSchema> schemas) {}
