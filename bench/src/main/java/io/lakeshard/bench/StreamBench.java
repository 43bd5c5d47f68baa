package io.lakeshard.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Durable Streams scenarios (stream-*), run by {@link LoadGenerator} against the node and the
 * npm reference server with the same java.net.http client: appends (many streams, and one hot
 * stream), catch-up reads, and SSE fan-out to 1 000 readers.
 */
final class StreamBench {

  /** What the stream scenarios compare with; scripts/bench installs and starts this version. */
  static final String REFERENCE = "@durable-streams/server 0.3.7 (in-memory store)";
  static final int APPEND_STREAMS = 5;
  static final int APPEND_BYTES = 128;
  /** One hot stream: what group commit is for (every append of the 16 contends for one entity). */
  static final int ONE_CLIENTS = 16;
  static final int ONE_BYTES = 256;
  static final int READ_MESSAGE_BYTES = 4096;
  static final int READ_CLIENTS = 2;
  private static final String OCTETS = "application/octet-stream";

  private final String streamTag = Long.toString(System.currentTimeMillis() % 100000);

  private final LoadGenerator.Mode mode;
  private final HttpClient http;
  private final List<HttpClient> wsClients;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final Measuring measuring;

  /** {@code wsClients}: the clients whose selector threads carry the SSE readers' connections. */
  StreamBench(LoadGenerator.Mode mode, HttpClient http, List<HttpClient> wsClients, ExecutorService executor,
              ScheduledExecutorService scheduler, Measuring measuring) {
    this.mode = mode;
    this.http = http;
    this.wsClients = wsClients;
    this.executor = executor;
    this.scheduler = scheduler;
    this.measuring = measuring;
  }

  /**
   * {@code clients} closed-loop clients appending {@code bodyBytes}-byte bodies (POST /v1/stream/{id})
   * to {@code streamCount} streams, one append in flight each (a connection each); an append counts
   * when it is acknowledged (on the node: durable).
   */
  Map<String, Object> appends(LoadGenerator.Target target, String id, int streamCount, int clients, int bodyBytes) {
    List<String> streams = new ArrayList<>();
    for (int k = 0; k < streamCount; k++) {
      streams.add(streamUrl(target, k, id + "-" + streamTag + "-" + k));
      createStream(streams.get(k), OCTETS);
    }
    byte[] body = new byte[bodyBytes];
    Arrays.fill(body, (byte) 'x');
    List<Load.Op> ops = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      URI stream = URI.create(streams.get(i % streams.size()));
      ops.add(() -> append(stream, OCTETS, body).thenApply(nanos -> new Load.Done(1, nanos)));
    }
    Map<String, Object> result = measuring.measure(target, id, () -> Load.closedLoop(ops, mode.streamWarmup(), mode.streamMeasure(),
        measuring.hooks(target, id), executor, scheduler));
    result.put("unit", "appends/s");
    result.put("MBPerSecond", LoadGenerator.round(Report.number(result.get("throughput")) * bodyBytes / 1e6));
    result.put("clients", clients);
    result.put("streams", streamCount);
    result.put("bodyBytes", bodyBytes);
    return result;
  }

  /**
   * Catch-up reads: a stream filled beforehand with 4 KiB messages (4 MiB quick, 32 MiB full) is
   * read from offset -1, following Stream-Next-Offset until Stream-Up-To-Date, by 2 closed-loop
   * readers; each whole catch-up is one operation (its latency is the whole read).
   */
  Map<String, Object> read(LoadGenerator.Target target) {
    String id = "stream-read";
    String stream = streamUrl(target, 0, "read-" + streamTag);
    createStream(stream, OCTETS);
    int messages = mode.streamReadMiB() * 1024 * 1024 / READ_MESSAGE_BYTES;
    long filled = fillStream(URI.create(stream), messages);
    List<Load.Op> ops = new ArrayList<>();
    for (int i = 0; i < READ_CLIENTS; i++) {
      ops.add(() -> catchUp(stream, "-1", 0, 0).thenApply(read -> {
        long now = System.nanoTime();
        if (read[0] != filled) {
          throw new CompletionException(new IOException("caught up with " + read[0] + " bytes, expected " + filled));
        }
        return new Load.Done(read[0], now);
      }));
    }
    long t0 = System.nanoTime();
    long[] first = catchUp(stream, "-1", 0, 0).join();
    double firstSeconds = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> result = measuring.measure(target, id, () -> Load.closedLoop(ops, mode.streamWarmup(), mode.streamMeasure(),
        measuring.hooks(target, id), executor, scheduler));
    result.put("bytesPerSecond", result.get("throughput"));
    result.put("throughput", LoadGenerator.round(Report.number(result.get("throughput")) / 1e6));
    result.put("unit", "MB/s");
    result.put("catchUpsPerSecond", result.remove("opsPerSecond"));
    result.put("streamBytes", filled);
    result.put("messageBytes", READ_MESSAGE_BYTES);
    result.put("responsesPerCatchUp", first[1]);
    result.put("firstCatchUpSeconds", LoadGenerator.round(firstSeconds));
    result.put("clients", READ_CLIENTS);
    return result;
  }

  /** Appends {@code messages} 4 KiB bodies, 16 at a time; returns the bytes written. */
  private long fillStream(URI stream, int messages) {
    byte[] body = new byte[READ_MESSAGE_BYTES];
    Arrays.fill(body, (byte) 'r');
    AtomicLong errors = new AtomicLong();
    Concurrently.forEach(messages, 16, i -> append(stream, OCTETS, body).handle((nanos, error) -> {
      if (error != null) {
        errors.incrementAndGet();
      }
      return null;
    }));
    if (errors.get() > 0) {
      throw new IllegalStateException(errors.get() + " of " + messages + " appends failed while filling " + stream);
    }
    return (long) messages * READ_MESSAGE_BYTES;
  }

  /** Reads from {@code offset} to the tail: {bytes read, responses}. */
  private CompletableFuture<long[]> catchUp(String stream, String offset, long bytes, long responses) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(stream + "?offset=" + URLEncoder.encode(offset, StandardCharsets.UTF_8)))
        .timeout(Duration.ofSeconds(60)).GET().build();
    return http.sendAsync(request, COUNT_BYTES).thenCompose(response -> {
      if (response.statusCode() != 200) {
        throw new CompletionException(new IOException("HTTP " + response.statusCode() + " reading " + stream));
      }
      long total = bytes + response.body();
      String next = response.headers().firstValue("Stream-Next-Offset")
          .orElseThrow(() -> new CompletionException(new IOException("no Stream-Next-Offset")));
      if (response.headers().firstValue("Stream-Up-To-Date").isPresent()) {
        return CompletableFuture.completedFuture(new long[] {total, responses + 1});
      }
      if (next.equals(offset)) {
        throw new CompletionException(new IOException("Stream-Next-Offset did not move from " + offset));
      }
      return catchUp(stream, next, total, responses + 1);
    });
  }

  /** Counts a response body's bytes without keeping them. */
  private static final HttpResponse.BodyHandler<Long> COUNT_BYTES =
      info -> HttpResponse.BodySubscribers.fromSubscriber(new ByteCounter(), ByteCounter::total);

  private static final class ByteCounter implements Flow.Subscriber<List<ByteBuffer>> {
    private long total;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      buffers.forEach(buffer -> total += buffer.remaining());
    }

    @Override
    public void onError(Throwable error) {}

    @Override
    public void onComplete() {}

    long total() {
      return total;
    }
  }

  /**
   * One appender, 1 000 {@code live=sse} readers on one text/plain stream: appends of "s{n}" leave
   * at a fixed rate; every reader timestamps each data event, matched to its append by n, so the
   * latency is append sent to event delivered, at every reader.
   */
  Map<String, Object> sse(LoadGenerator.Target target) {
    String stream = streamUrl(target, 0, "sse-" + streamTag);
    createStream(stream, "text/plain");
    int readers = mode.subscribers();
    PacedFanOut fanOut = new PacedFanOut(mode.broadcastRate(), mode.streamWarmup(), mode.streamMeasure());
    LongAdder strays = new LongAdder();
    SseReader.Sink sink = (payload, nanos) -> {
      long seq = payload.startsWith("s") ? parseOrMinus(payload.substring(1)) : -1;
      if (fanOut.isSend(seq)) {
        fanOut.delivered(seq, nanos);
      } else {
        strays.increment();
      }
    };
    List<SseReader> subs = new ArrayList<>();
    long t0 = System.nanoTime();
    AtomicInteger failed = new AtomicInteger();
    Concurrently.forEach(readers, 64, i -> {
      SseReader reader = new SseReader(sink);
      synchronized (subs) {
        subs.add(reader);
      }
      HttpRequest request = HttpRequest.newBuilder(URI.create(streamUrl(target, i, "sse-" + streamTag) + "?offset=-1&live=sse"))
          .GET().build();
      // the WebSocket clients' two selector threads share the 1 000 connections' I/O
      wsClients.get(i % wsClients.size()).sendAsync(request, reader.handler())
          .whenComplete((response, error) -> reader.ready.completeExceptionally(
              error != null ? error : new IOException("the event stream ended")));
      return reader.ready.orTimeout(20, TimeUnit.SECONDS).whenComplete((ok, error) -> {
        if (error != null) {
          failed.incrementAndGet();
        }
      });
    });
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    if (failed.get() > 0) {
      LoadGenerator.say("  " + failed.get() + " of " + readers + " SSE readers failed to connect");
    }
    Probe.Recording recording = measuring.startRecording(target, "stream-sse");
    Probe.CpuWindow cpu = new Probe.CpuWindow(target.pids());
    URI appendTo = URI.create(stream);
    PacedFanOut.Window window = fanOut.run("stream-appender",
        k -> append(appendTo, "text/plain", ("s" + k).getBytes(StandardCharsets.UTF_8)), readers - failed.get(), cpu);
    Map<String, Object> result = fanOut.result(window, failed.get() + strays.sum());
    result.put("readers", readers);
    result.put("readersFailed", failed.get());
    result.put("appendsPerSecond", mode.broadcastRate());
    result.put("appendsMeasured", window.sends());
    result.put("appendErrors", fanOut.sendErrors.sum());
    result.put("unexpectedEvents", strays.sum());
    result.put("readerConnectSeconds", LoadGenerator.round(connectSeconds));
    measuring.putCpu(result, target, cpu);
    Measuring.stopRecording(recording, result);
    subs.forEach(SseReader::cancel);
    return result;
  }

  /** The stream's URL on the target's server for client {@code i} (nodes of a cluster in turn). */
  private static String streamUrl(LoadGenerator.Target target, int i, String name) {
    return target.base(i) + "/v1/stream/bench-" + name;
  }

  private void createStream(String url, String contentType) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
        .timeout(Duration.ofSeconds(30)).PUT(HttpRequest.BodyPublishers.noBody()).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 201 && response.statusCode() != 200) {
        throw new IllegalStateException("PUT " + url + ": HTTP " + response.statusCode() + " " + response.body());
      }
    } catch (IOException e) {
      throw new IllegalStateException("PUT " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** POST one append; completes with the System.nanoTime() of its acknowledgement (any 2xx). */
  private CompletableFuture<Long> append(URI stream, String contentType, byte[] body) {
    HttpRequest request = HttpRequest.newBuilder(stream).header("Content-Type", contentType)
        .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
      long now = System.nanoTime();
      if (response.statusCode() / 100 != 2) {
        String text = response.body();
        throw new CompletionException(new IOException("HTTP " + response.statusCode() + " "
            + text.substring(0, Math.min(100, text.length()))));
      }
      return now;
    });
  }

  private static long parseOrMinus(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
