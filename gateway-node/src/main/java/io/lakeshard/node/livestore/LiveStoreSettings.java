package io.lakeshard.node.livestore;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The node's LiveStore transport settings, from {@code lakeshard.livestore} (application.conf;
 * the store's own limits are gateway-core's {@code EventStoreSettings}).
 *
 * @param authToken          the static token payloads must carry as {@code authToken}; empty: open
 * @param resubscribeEvery   how often a WebSocket session re-sends Subscribe to its store (keeps
 *                           it from passivating, re-attaches after it moved)
 * @param sessionBuffer      messages queued for a slow WebSocket client before it is closed 1013
 */
public record LiveStoreSettings(String authToken, Duration resubscribeEvery, int sessionBuffer) {
  public static LiveStoreSettings fromConfig(Config config) {
    Config livestore = config.getConfig("lakeshard.livestore");
    return new LiveStoreSettings(
        livestore.getString("auth-token"),
        livestore.getDuration("resubscribe-every"),
        livestore.getInt("session-buffer"));
  }
}
