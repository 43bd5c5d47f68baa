package io.lakeshard.bench;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * One Durable Streams {@code live=sse} reader: parses the event stream line by line (java.net.http's
 * line subscriber) and hands each data event's payload, with the System.nanoTime() its line arrived,
 * to a sink. {@link #ready} completes at the first control event: the server has answered the
 * initial read, so the reader is subscribed and every later append reaches it.
 */
final class SseReader implements Flow.Subscriber<String> {
  @FunctionalInterface
  interface Sink {
    void data(String payload, long nanos);
  }

  final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final Sink sink;
  private volatile Flow.Subscription subscription;
  private volatile boolean cancelled;
  private String event = "";

  SseReader(Sink sink) {
    this.sink = sink;
  }

  /** The body handler for this reader's GET: an answer other than 200 fails {@link #ready} with its status. */
  HttpResponse.BodyHandler<Void> handler() {
    return info -> {
      if (info.statusCode() != 200) {
        ready.completeExceptionally(new IOException("HTTP " + info.statusCode() + " for live=sse"));
        return HttpResponse.BodySubscribers.discarding();
      }
      return HttpResponse.BodySubscribers.fromLineSubscriber(this);
    };
  }

  /** Drops the connection (the server sees the reader go). */
  void cancel() {
    cancelled = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    this.subscription = subscription;
    if (cancelled) {
      subscription.cancel();
    } else {
      subscription.request(Long.MAX_VALUE);
    }
  }

  @Override
  public void onNext(String line) {
    if (line.isEmpty()) {
      event = "";
    } else if (line.startsWith("event:")) {
      event = line.substring(6).trim();
    } else if (line.startsWith("data:")) {
      // SSE strips exactly one space after the colon
      String payload = line.startsWith("data: ") ? line.substring(6) : line.substring(5);
      if (event.equals("data")) {
        sink.data(payload, System.nanoTime());
      } else if (event.equals("control")) {
        ready.complete(null);
      }
    }
  }

  @Override
  public void onError(Throwable error) {
    ready.completeExceptionally(error);
  }

  @Override
  public void onComplete() {
    ready.completeExceptionally(new IOException("the event stream ended before its first control event"));
  }
}
