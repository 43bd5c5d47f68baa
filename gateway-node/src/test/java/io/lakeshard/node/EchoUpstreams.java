package io.lakeshard.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.Materializer;

/**
 * Real upstreams for the router tests, on 127.0.0.1: a JDK {@code com.sun.net.httpserver} one and
 * a Pekko HTTP one. Each answers a request with JSON describing it (server, method, path, query,
 * headers by lower-case name, body); the JDK one also has a health path whose status a test sets,
 * a slow path, and a 1 GiB-scale upload sink and download source that checksum what they stream.
 */
final class EchoUpstreams {
  static final ObjectMapper JSON = new ObjectMapper();

  private EchoUpstreams() {}

  static String describe(String server, String method, String path, String query, Map<String, List<String>> headers,
                         String body) {
    Map<String, Object> echo = new LinkedHashMap<>();
    echo.put("server", server);
    echo.put("method", method);
    echo.put("path", path);
    echo.put("query", query);
    echo.put("headers", headers);
    echo.put("body", body);
    try {
      return JSON.writeValueAsString(echo);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JDK server. */
  static final class Jdk implements AutoCloseable {
    private final HttpServer server;
    /** The status its health path answers (a test flips it). */
    final AtomicInteger healthStatus = new AtomicInteger(200);
    /** The paths its echo answered. */
    final java.util.Set<String> paths = java.util.concurrent.ConcurrentHashMap.newKeySet();

    Jdk(String name) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      server.setExecutor(Executors.newFixedThreadPool(8));
      server.createContext("/health", exchange -> {
        exchange.getRequestBody().readAllBytes();
        respond(exchange, healthStatus.get(), "{\"ok\":" + (healthStatus.get() == 200) + "}");
      });
      server.createContext("/slow", exchange -> {
        try {
          Thread.sleep(3_000); // past the test node's 1 s upstream timeout
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        respond(exchange, 200, "late");
      });
      server.createContext("/upload", exchange -> {
        respond(exchange, 200, Pattern.checksum(exchange.getRequestBody()));
      });
      server.createContext("/download", exchange -> {
        long size = Long.parseLong(exchange.getRequestURI().getQuery().substring("size=".length()));
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
        exchange.sendResponseHeaders(200, size);
        try (OutputStream out = exchange.getResponseBody()) {
          Pattern.write(out, size);
        }
      });
      server.createContext("/", exchange -> {
        byte[] body = exchange.getRequestBody().readAllBytes();
        paths.add(exchange.getRequestURI().getRawPath());
        Map<String, List<String>> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((header, values) -> headers.put(header.toLowerCase(), values));
        exchange.getResponseHeaders().add("Access-Control-Allow-Origin", "https://upstream.example");
        exchange.getResponseHeaders().add("X-Upstream", name);
        exchange.getResponseHeaders().add("Set-Cookie", "a=1");
        exchange.getResponseHeaders().add("Set-Cookie", "b=2");
        respond(exchange, exchange.getRequestURI().getPath().equals("/teapot") ? 418 : 200,
            describe(name, exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestURI().getRawQuery(), headers, new String(body, StandardCharsets.UTF_8)));
      });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
      ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The Pekko HTTP server, in an actor system of its own (no cluster). */
  static final class Pekko implements AutoCloseable {
    private final ActorSystem system;
    private final ServerBinding binding;

    Pekko(String name) {
      system = ActorSystem.create("upstream", com.typesafe.config.ConfigFactory.parseString(
          "pekko.actor.provider = local\npekko.loglevel = WARNING\npekko.coordinated-shutdown.exit-jvm = off").withFallback(com.typesafe.config.ConfigFactory.load()));
      Materializer materializer = Materializer.matFromSystem(system);
      binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(
          (org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>>) request -> echo(name, request, materializer))
          .toCompletableFuture().join();
    }

    private static CompletionStage<HttpResponse> echo(String name, HttpRequest request, Materializer materializer) {
      if (request.getUri().getPathString().equals("/health")) {
        request.discardEntityBytes(materializer);
        return CompletableFuture.completedFuture(HttpResponse.create().withEntity("ok"));
      }
      return request.entity().toStrict(5_000, materializer).thenApply(strict -> {
        Map<String, List<String>> headers = new TreeMap<>();
        for (HttpHeader header : request.getHeaders()) {
          headers.computeIfAbsent(header.lowercaseName(), key -> new ArrayList<>()).add(header.value());
        }
        if (!strict.getData().isEmpty()) {
          headers.put("content-type", List.of(strict.getContentType().toString()));
        }
        return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, describe(name, request.method().value(),
            request.getUri().getPathString(), request.getUri().rawQueryString().orElse(null), headers,
            strict.getData().utf8String()));
      });
    }

    String url() {
      return "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    @Override
    public void close() throws Exception {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** A deterministic byte stream (no buffer of its size anywhere) and its checksum, for the large transfers. */
  static final class Pattern {
    private static final int BLOCK = 64 * 1024;

    private Pattern() {}

    static byte[] block() {
      byte[] block = new byte[BLOCK];
      for (int i = 0; i < BLOCK; i++) {
        block[i] = (byte) (i * 31 + 7);
      }
      return block;
    }

    static void write(OutputStream out, long size) throws IOException {
      byte[] block = block();
      for (long left = size; left > 0; left -= block.length) {
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }

    static long crc(long size) {
      CRC32 crc = new CRC32();
      byte[] block = block();
      for (long left = size; left > 0; left -= block.length) {
        crc.update(block, 0, (int) Math.min(block.length, left));
      }
      return crc.getValue();
    }

    /** "{length} {CRC-32}" of what {@code in} holds, read through and closed. */
    static String checksum(InputStream in) throws IOException {
      CRC32 crc = new CRC32();
      long count = 0;
      byte[] buffer = new byte[BLOCK];
      try (in) {
        for (int read; (read = in.read(buffer)) > 0; ) {
          crc.update(buffer, 0, read);
          count += read;
        }
      }
      return count + " " + crc.getValue();
    }

    static InputStream stream(long size) {
      byte[] block = block();
      return new InputStream() {
        private long position;

        @Override
        public int read() {
          return position < size ? block[(int) (position++ % BLOCK)] & 0xff : -1;
        }

        @Override
        public int read(byte[] into, int offset, int length) {
          if (position >= size) {
            return -1;
          }
          int start = (int) (position % BLOCK);
          int n = (int) Math.min(Math.min(length, BLOCK - start), size - position);
          System.arraycopy(block, start, into, offset, n);
          position += n;
          return n;
        }
      };
    }
  }

}
