package io.lakeshard.core.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.lakeshard.core.checkpoint.CheckpointSettings;
import io.lakeshard.core.flush.FlushLimits;
import io.lakeshard.core.retry.Backoff;
import java.time.Duration;

/**
 * Typed settings of the SyncGateway entity, from {@code lakeshard.gateway}, and the restart
 * backoff after a journal failure, from {@code lakeshard.entity.journal-backoff}; its checkpoint
 * policy from {@code lakeshard.gateway.checkpoint}; its flush alarm from {@code lakeshard.gateway.flush}.
 */
public record GatewaySettings(Duration maxClockDrift, Duration clockSkewAllowance, int defaultPullLimit,
                              int maxPullLimit, long maxPullBytes, int maxFilteredScan, FlushLimits flush,
                              int dedupeWindow, int rowWindow, Backoff journalBackoff,
                              CheckpointSettings checkpoint) {

  public static GatewaySettings fromConfig(Config config) {
    Config gateway = config.getConfig("lakeshard.gateway");
    if (gateway.getInt("row-window") < 0) {
      throw new ConfigException.BadValue(gateway.origin(), "row-window", "must be 0 or more");
    }
    return new GatewaySettings(
        gateway.getDuration("max-clock-drift"),
        gateway.getDuration("clock-skew-allowance"),
        gateway.getInt("pull.default-limit"),
        gateway.getInt("pull.max-limit"),
        gateway.getBytes("pull.max-bytes"),
        gateway.getInt("pull.max-filtered-scan"),
        FlushLimits.fromConfig(gateway.getConfig("flush")),
        gateway.getInt("dedupe-window"),
        gateway.getInt("row-window"),
        Backoff.fromConfig(config.getConfig("lakeshard.entity.journal-backoff")),
        CheckpointSettings.fromConfig(gateway.getConfig("checkpoint")));
  }

  /**
   * The same, but never checkpointing on its own: a sharded gateway's shards checkpoint together,
   * at one stamp, when asked ({@link SyncGateway.Checkpoint#at}).
   */
  public GatewaySettings withoutCheckpointPolicy() {
    return new GatewaySettings(maxClockDrift, clockSkewAllowance, defaultPullLimit, maxPullLimit, maxPullBytes,
        maxFilteredScan, flush, dedupeWindow, rowWindow, journalBackoff,
        checkpoint.withoutPolicy());
  }
}
