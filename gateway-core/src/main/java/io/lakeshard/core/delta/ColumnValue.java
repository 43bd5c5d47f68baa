package io.lakeshard.core.delta;

/** One column of a delta; {@code json} is the value as JSON text, as it travels on the wire. */
public record ColumnValue(String column, String json) {}
