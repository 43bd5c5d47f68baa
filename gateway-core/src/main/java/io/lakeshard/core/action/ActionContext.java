package io.lakeshard.core.action;

import java.util.List;
import java.util.Map;

/**
 * Who asks, for a handler's permission checks: the gateway, the token's {@code sub} (with auth
 * off, the clientId of the request) and its custom claims (as sync rules see them; none with auth
 * off), as LakeSync passes its AuthContext.
 */
public record ActionContext(String gatewayId, String clientId, Map<String, List<String>> claims) {}
