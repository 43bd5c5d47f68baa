package io.lakeshard.core;

/** Marker for messages and events serialized with Jackson CBOR (bound in reference.conf). */
public interface CborSerializable {}
