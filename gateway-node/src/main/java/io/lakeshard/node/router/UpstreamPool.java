package io.lakeshard.node.router;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keep-alive connections to the backends, of one event loop: a forwarded request's upstream
 * connection runs on its client connection's thread, so a request never changes threads and
 * nothing here is shared (no locks). A connection is opened when none is idle, so there are at
 * most as many per backend as client connections forwarding to it at once, as nginx's
 * {@code keepalive}; at most {@code maxIdle} of them wait for the next request.
 */
final class UpstreamPool {
  private final EventLoop loop;
  private final int maxIdle;
  private final int connectTimeoutMillis;
  private final SslContext tls;
  private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();
  private final Map<String, Target> targets = new HashMap<>();

  /** Where a backend's requests go: its host and port, the Host header they carry, the path they start with. */
  record Target(String host, int port, boolean https, String authority, String basePath) {
    static Target of(String url) {
      URI uri = URI.create(url);
      boolean https = uri.getScheme().equals("https");
      return new Target(uri.getHost(), uri.getPort() != -1 ? uri.getPort() : https ? 443 : 80, https,
          uri.getRawAuthority(), uri.getRawPath() == null ? "" : uri.getRawPath());
    }
  }

  UpstreamPool(EventLoop loop, int maxIdle, int connectTimeoutMillis, SslContext tls) {
    this.loop = loop;
    this.tls = tls;
    this.maxIdle = maxIdle;
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /** An idle connection to {@code backend}'s host, no longer waiting; null when none is idle. */
  Channel idle(Backend backend) {
    ArrayDeque<Channel> waiting = idle.get(backend.url());
    for (Channel channel; waiting != null && (channel = waiting.pollLast()) != null; ) {
      if (channel.isActive()) {
        return channel;
      }
    }
    return null;
  }

  /** A new connection to {@code backend}'s host, being connected. */
  ChannelFuture connect(Backend backend) {
    Target target = target(backend);
    return new Bootstrap().group(loop).channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            if (target.https()) {
              channel.pipeline().addLast(tls.newHandler(channel.alloc(), target.host(), target.port()));
            }
            channel.pipeline().addLast(new HttpClientCodec(4096, 8192, UpstreamConnection.CHUNK_BYTES),
                new UpstreamConnection(UpstreamPool.this, backend.url()));
          }
        })
        .connect(target.host(), target.port());
  }

  Target target(Backend backend) {
    return targets.computeIfAbsent(backend.url(), Target::of);
  }

  /** {@code channel}, done with its exchange, waits for the next request to its backend (or closes when enough wait). */
  void release(Channel channel, String url) {
    ArrayDeque<Channel> waiting = idle.computeIfAbsent(url, key -> new ArrayDeque<>());
    if (waiting.size() >= maxIdle || !channel.isActive()) {
      channel.close();
      return;
    }
    channel.config().setAutoRead(true); // an idle connection's close is seen at once
    waiting.addLast(channel);
  }

  /** {@code channel} closed: it no longer waits. */
  void closed(Channel channel, String url) {
    ArrayDeque<Channel> waiting = idle.get(url);
    if (waiting != null) {
      waiting.remove(channel);
    }
  }
}
