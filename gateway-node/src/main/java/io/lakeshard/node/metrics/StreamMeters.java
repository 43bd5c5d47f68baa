package io.lakeshard.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Durable Streams requests ({@code StreamService} records them): reads by transport (a catch-up
 * read over plain HTTP, a long-poll, the first read of an SSE connection), the rest over HTTP;
 * and the live readers open now.
 */
public final class StreamMeters {
  private static final String REQUESTS = "lakeshard.stream.requests";
  private static final String DESCRIPTION = "stream requests, by operation, transport and outcome";

  private final RequestTimer create;
  private final RequestTimer append;
  private final RequestTimer head;
  private final RequestTimer delete;
  private final RequestTimer read;
  private final RequestTimer longPoll;
  private final RequestTimer sseOpen;
  private final Counter appends;
  private final Counter appendedBytes;
  private final OpenCount sseReaders;
  private final OpenCount longPollReaders;

  StreamMeters(MeterRegistry registry) {
    create = timer(registry, "create", Transport.HTTP);
    append = timer(registry, "append", Transport.HTTP);
    head = timer(registry, "head", Transport.HTTP);
    delete = timer(registry, "delete", Transport.HTTP);
    read = timer(registry, "read", Transport.HTTP);
    longPoll = timer(registry, "read", Transport.LONG_POLL);
    sseOpen = timer(registry, "read", Transport.SSE);
    appends = Counter.builder("lakeshard.stream.appends")
        .description("appends journaled (a producer's retry of a journaled append is not counted again)")
        .register(registry);
    appendedBytes = Counter.builder("lakeshard.stream.appended.bytes").description("bytes of accepted appends")
        .baseUnit("bytes").register(registry);
    String readers = "lakeshard.stream.readers";
    sseReaders = new OpenCount(registry, readers, "open live readers of streams", Tags.of("transport", "sse"));
    longPollReaders = new OpenCount(registry, readers, "open live readers of streams",
        Tags.of("transport", Transport.LONG_POLL.label()));
  }

  private static RequestTimer timer(MeterRegistry registry, String op, Transport transport) {
    return new RequestTimer(registry, REQUESTS, DESCRIPTION, Tags.of("op", op, "transport", transport.label()));
  }

  public RequestTimer create() {
    return create;
  }

  public RequestTimer append() {
    return append;
  }

  public RequestTimer head() {
    return head;
  }

  public RequestTimer delete() {
    return delete;
  }

  /** A read's timer by how it was asked. */
  public RequestTimer read(Transport transport) {
    return switch (transport) {
      case HTTP -> read;
      case LONG_POLL -> longPoll;
      case SSE -> sseOpen;
      case WS -> throw new IllegalArgumentException("streams have no WebSocket transport");
    };
  }

  public Counter appends() {
    return appends;
  }

  public Counter appendedBytes() {
    return appendedBytes;
  }

  public OpenCount sseReaders() {
    return sseReaders;
  }

  public OpenCount longPollReaders() {
    return longPollReaders;
  }
}
