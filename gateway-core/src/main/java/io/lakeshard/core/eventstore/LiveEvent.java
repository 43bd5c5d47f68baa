package io.lakeshard.core.eventstore;

import io.lakeshard.core.CborSerializable;

/**
 * One LiveStore event as a client pushes it (the wire's {@code eventEncoded}): global sequence
 * numbers (the root is 0, so a store's first event is 1 with parent 0), the event's name,
 * {@code argsJson} the raw JSON text of {@code args} as the transport read it (null when the
 * client sent no {@code args}; the JSON {@code null} is the text {@code "null"}), and who pushed it.
 * The entity does not parse {@code argsJson} again: the transport hands over well-formed JSON.
 */
public record LiveEvent(long seqNum, long parentSeqNum, String name, String argsJson, String clientId,
                        String sessionId) implements CborSerializable {}
