package io.lakeshard.core.action;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One imperative action a client asks a connector to run, as LakeSync's {@code Action}.
 *
 * @param actionId the client's id for it (LakeSync: SHA-256 of the rest); a repeat is answered from memory
 * @param hlc the client's HLC when it created the action
 * @param params the connector's payload, a JSON object
 * @param idempotencyKey null when absent; a later action with the same key gets this one's answer
 */
public record Action(String actionId, String clientId, long hlc, String connector, String actionType,
                     JsonNode params, String idempotencyKey) {}
