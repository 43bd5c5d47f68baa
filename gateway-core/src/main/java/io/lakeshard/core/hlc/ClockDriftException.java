package io.lakeshard.core.hlc;

/** A remote HLC whose wall clock is further ahead of ours than the gateway allows. */
public final class ClockDriftException extends Exception {
  public ClockDriftException(long driftMillis, long maxDriftMillis) {
    super("remote clock is " + driftMillis + " ms ahead (limit " + maxDriftMillis + " ms)");
  }
}
