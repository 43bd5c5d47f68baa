package io.lakeshard.core.action;

/**
 * Who asks, for a handler's permission checks: the gateway and the token's {@code sub} (with auth
 * off, the clientId of the request).
 */
public record ActionContext(String gatewayId, String clientId) {}
