package io.lakeshard.core.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.lakeshard.core.checkpoint.CheckpointSettings;
import io.lakeshard.core.retry.Backoff;
import java.time.Duration;

/**
 * Typed settings of the SyncGateway entity, from {@code lakeshard.gateway}, and the restart
 * backoff after a journal failure, from {@code lakeshard.entity.journal-backoff}; its checkpoint
 * policy from {@code lakeshard.gateway.checkpoint}.
 */
public record GatewaySettings(Duration maxClockDrift, Duration clockSkewAllowance, int defaultPullLimit,
                              int maxPullLimit, long maxPullBytes, int maxFilteredScan, long maxBufferBytes,
                              Duration maxBufferAge, Backoff flushBackoff,
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
        gateway.getBytes("flush.max-buffer-bytes"),
        gateway.getDuration("flush.max-buffer-age"),
        Backoff.fromConfig(gateway.getConfig("flush.backoff")),
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
        maxFilteredScan, maxBufferBytes, maxBufferAge, flushBackoff, dedupeWindow, rowWindow, journalBackoff,
        checkpoint.withoutPolicy());
  }

  /** Past this much unflushed data while flushes fail, pushes are refused with 503 until one succeeds. */
  public long backpressureBytes() {
    return 2 * maxBufferBytes;
  }

  /**
   * Past this much unflushed data while a healthy flush is still running, pushes are refused too:
   * a busy gateway keeps accepting (each flush takes what is buffered, the next follows at once),
   * but a lake that is slow without failing cannot make one gateway hold the heap.
   */
  public long busyLimitBytes() {
    return 16 * maxBufferBytes;
  }
}
