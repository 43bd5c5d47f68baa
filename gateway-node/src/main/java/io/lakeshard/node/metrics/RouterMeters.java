package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The x-backend router's upstream calls per backend. Backend ids are configuration (a handful),
 * so they are a label; each backend's meters are registered on its first request and cached.
 */
public final class RouterMeters {
  /** Why an upstream call gave no answer. */
  public enum Failure { TIMEOUT, UNREACHABLE }

  private record Backend(Timer answered, Counter timeout, Counter unreachable) {}

  private final MeterRegistry registry;
  private final Map<String, Backend> backends = new ConcurrentHashMap<>();

  RouterMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Registers a backend's meters before its first request (the configured ones, so they show at 0). */
  public void register(String backendId) {
    backend(backendId);
  }

  /** An upstream answer (of any status), started at {@code startNanos}. */
  public void answered(String backendId, long startNanos) {
    backend(backendId).answered().record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  public void failed(String backendId, Failure failure) {
    Backend backend = backend(backendId);
    (failure == Failure.TIMEOUT ? backend.timeout() : backend.unreachable()).increment();
  }

  private Backend backend(String id) {
    return backends.computeIfAbsent(id, key -> {
      Tags tags = Tags.of("backend", key);
      String errors = "lakeshard.router.upstream.errors";
      String description = "upstream calls that gave no answer, by backend and reason";
      return new Backend(
          RequestTimer.timer(registry, "lakeshard.router.upstream", "upstream answers, by backend", tags),
          Counter.builder(errors).description(description).tags(tags.and("reason", "timeout")).register(registry),
          Counter.builder(errors).description(description).tags(tags.and("reason", "unreachable"))
              .register(registry));
    });
  }
}
