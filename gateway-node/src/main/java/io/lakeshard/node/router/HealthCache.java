package io.lakeshard.node.router;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's latest health check of each backend. A result older than the cache's time to live
 * (30 s: three missed checks at the default interval) counts as unknown, as does none yet; only an
 * unhealthy backend is closed to requests, so a router that just started routes at once. The
 * router's checker fills it; the router's {@code /backends} and the admin listing read it.
 */
public final class HealthCache {
  enum Health { HEALTHY, UNHEALTHY, UNKNOWN }

  /** One check: when, how long it took, and what it found. */
  record Check(boolean healthy, Instant at, Duration latency) {}

  private final ConcurrentHashMap<Backend, Check> checks = new ConcurrentHashMap<>();
  private final Duration ttl;

  public HealthCache(Duration ttl) {
    this.ttl = ttl;
  }

  /** The backend's last check, if it is still fresh at {@code now}. */
  Optional<Check> fresh(Backend backend, Instant now) {
    return Optional.ofNullable(checks.get(backend)).filter(check -> !check.at().plus(ttl).isBefore(now));
  }

  Optional<Check> last(Backend backend) {
    return Optional.ofNullable(checks.get(backend));
  }

  Health health(Backend backend, Instant now) {
    return fresh(backend, now).map(check -> check.healthy() ? Health.HEALTHY : Health.UNHEALTHY).orElse(Health.UNKNOWN);
  }

  /** The backend's health as {@code /backends} shows it: its state now, its last check's time and latency (ms). */
  Shown shown(Backend backend, Instant now) {
    Optional<Check> last = last(backend);
    return new Shown(health(backend, now).name().toLowerCase(Locale.ROOT),
        last.map(check -> check.at().toString()).orElse(null), last.map(check -> check.latency().toMillis()).orElse(null));
  }

  /** {@code lastCheck} and {@code latency} null before a check. */
  record Shown(String health, String lastCheck, Long latency) {
    static final Shown UNCHECKED = new Shown(Health.UNKNOWN.name().toLowerCase(Locale.ROOT), null, null);
  }

  /** Records a check; true when it changed the backend's health (a gate that flipped). */
  boolean record(Backend backend, Check check) {
    Check previous = checks.put(backend, check);
    return previous == null || previous.healthy() != check.healthy();
  }

  /** Forgets backends no longer registered (a changed URL is another backend). */
  void retain(Collection<Backend> current) {
    checks.keySet().retainAll(current);
  }
}
