package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/** One family's push and pull timers on one transport ({@code op} = push | pull). */
public record PushPull(RequestTimer push, RequestTimer pull) {
  static PushPull register(MeterRegistry registry, String name, String description, Transport transport) {
    Tags tags = Tags.of("transport", transport.label());
    return new PushPull(new RequestTimer(registry, name, description, tags.and("op", "push")),
        new RequestTimer(registry, name, description, tags.and("op", "pull")));
  }
}
