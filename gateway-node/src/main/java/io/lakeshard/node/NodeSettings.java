package io.lakeshard.node;

import com.typesafe.config.Config;
import io.lakeshard.core.gateway.GatewaySettings;
import java.time.Duration;

/** Typed settings of a node, from {@code lakeshard.*}. */
public record NodeSettings(
    String httpHost,
    int httpPort,
    long maxBodyBytes,
    Duration askTimeout,
    int maxDeltasPerPush,
    long wsMaxFrameBytes,
    int wsBroadcastBuffer,
    AuthSettings auth,
    GatewaySettings gateway) {

  public record AuthSettings(boolean enabled, String secret, String previousSecret) {}

  public static NodeSettings fromConfig(Config config) {
    Config node = config.getConfig("lakeshard");
    return new NodeSettings(
        node.getString("http.host"),
        node.getInt("http.port"),
        node.getBytes("http.max-body-bytes"),
        node.getDuration("http.ask-timeout"),
        node.getInt("push.max-deltas"),
        node.getBytes("websocket.max-frame-bytes"),
        node.getInt("websocket.broadcast-buffer"),
        new AuthSettings(
            node.getBoolean("auth.enabled"),
            node.getString("auth.secret"),
            node.getString("auth.previous-secret")),
        GatewaySettings.fromConfig(config));
  }
}
