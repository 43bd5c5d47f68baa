package io.lakeshard.core.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/** Typed settings of the SyncGateway entity, from {@code lakeshard.gateway}. */
public record GatewaySettings(Duration maxClockDrift, int defaultPullLimit, int maxPullLimit) {

  public static GatewaySettings fromConfig(Config config) {
    Config gateway = config.getConfig("lakeshard.gateway");
    return new GatewaySettings(
        gateway.getDuration("max-clock-drift"),
        gateway.getInt("pull.default-limit"),
        gateway.getInt("pull.max-limit"));
  }
}
