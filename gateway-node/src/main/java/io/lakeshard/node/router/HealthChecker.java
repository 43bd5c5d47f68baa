package io.lakeshard.node.router;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every registered backend's health path on a timer (at start, then every interval), one
 * check per backend at a time, results back as messages into the node's {@link HealthCache}. A
 * backend is healthy when its health path answers 2xx within the health timeout. One request per
 * backend and interval: Pekko HTTP's pooled client is enough (the router's traffic goes through
 * its own connections, {@link UpstreamPool}).
 */
final class HealthChecker {
  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  sealed interface Message {}

  private enum Tick implements Message { INSTANCE }

  private record Checked(Backend backend, HealthCache.Check check, String finding) implements Message {}

  private final ActorContext<Message> context;
  private final Supplier<Collection<Backend>> backends;
  private final HealthCache cache;
  private final Duration timeout;
  private final Set<Backend> checking = new HashSet<>();

  private HealthChecker(ActorContext<Message> context, Supplier<Collection<Backend>> backends, HealthCache cache,
                        Duration timeout) {
    this.context = context;
    this.backends = backends;
    this.cache = cache;
    this.timeout = timeout;
  }

  static Behavior<Message> create(Supplier<Collection<Backend>> backends, HealthCache cache, Duration interval,
                                  Duration timeout) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, Tick.INSTANCE, Duration.ZERO, interval);
      HealthChecker checker = new HealthChecker(context, backends, cache, timeout);
      return Behaviors.receive(Message.class)
          .onMessageEquals(Tick.INSTANCE, checker::checkAll)
          .onMessage(Checked.class, checker::checked)
          .build();
    }));
  }

  private Behavior<Message> checkAll() {
    Collection<Backend> current = backends.get();
    cache.retain(current);
    for (Backend backend : current) {
      if (checking.add(backend)) {
        check(backend);
      }
    }
    return Behaviors.same();
  }

  private void check(Backend backend) {
    long started = System.nanoTime();
    HttpRequest request = backend.credential() // a backend may want its credential on its health path too
        .map(credential -> HttpRequest.GET(backend.url() + backend.healthPath())
            .addHeader(RawHeader.create(credential.header(), credential.value())))
        .orElseGet(() -> HttpRequest.GET(backend.url() + backend.healthPath()));
    context.pipeToSelf(Http.get(context.getSystem()).singleRequest(request).toCompletableFuture()
            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .thenApply(response -> {
              response.discardEntityBytes(context.getSystem());
              return response.status();
            }),
        (StatusCode status, Throwable failure) -> new Checked(backend,
            new HealthCache.Check(status != null && status.isSuccess(), Instant.now(),
                Duration.ofNanos(System.nanoTime() - started)),
            status != null ? "status " + status.intValue()
                : failure instanceof java.util.concurrent.TimeoutException ? "no answer within " + timeout.toMillis() + " ms"
                : String.valueOf(failure.getMessage())));
  }

  private Behavior<Message> checked(Checked checked) {
    checking.remove(checked.backend());
    if (cache.record(checked.backend(), checked.check())) {
      log.info("backend {} is {} ({} at {})", checked.backend().id(), checked.check().healthy() ? "healthy" : "unhealthy",
          checked.finding(), checked.backend().url() + checked.backend().healthPath());
    }
    return Behaviors.same();
  }
}
