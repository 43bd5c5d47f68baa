package io.lakeshard.node.router;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a pooled upstream connection: hands what the backend sends to the exchange
 * that holds the connection now; an idle connection that closes leaves its pool.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
  /** The largest body piece decoded at once, either way (a 1 GiB body passes in pieces of this). */
  static final int CHUNK_BYTES = 64 * 1024;

  /** The client side of a forwarded request, on the same event loop as its upstream connection. */
  interface Exchange {
    /** A response head or body piece from the backend (the exchange releases it). */
    void upstreamRead(HttpObject message);

    /** The backend's read ended for now: time to flush towards the client. */
    void upstreamReadComplete();

    /** The connection can take more (or no more) of the request's body. */
    void upstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed while the exchange held it. */
    void upstreamClosed(String reason);
  }

  private final UpstreamPool pool;
  private final String url;
  private Exchange exchange;

  UpstreamConnection(UpstreamPool pool, String url) {
    this.pool = pool;
    this.url = url;
  }

  static UpstreamConnection of(Channel channel) {
    return channel.pipeline().get(UpstreamConnection.class);
  }

  /** {@code next} holds the connection from here: what the backend sends is its. */
  void exchange(Exchange next) {
    exchange = next;
  }

  /** The exchange is done with the connection: back to the pool when it can carry another request. */
  void release(Channel channel, boolean reusable) {
    exchange = null;
    if (reusable) {
      pool.release(channel, url);
    } else {
      channel.close();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object message) {
    if (exchange != null && message instanceof HttpObject http) {
      exchange.upstreamRead(http);
    } else {
      ReferenceCountUtil.release(message); // nothing asked: an idle connection's stray bytes
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (exchange != null) {
      exchange.upstreamReadComplete();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (exchange != null) {
      exchange.upstreamWritabilityChanged(ctx.channel().isWritable());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    pool.closed(ctx.channel(), url);
    Exchange holder = exchange;
    exchange = null;
    if (holder != null) {
      holder.upstreamClosed("the connection closed");
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Exchange holder = exchange;
    exchange = null;
    ctx.close();
    if (holder != null) {
      holder.upstreamClosed(String.valueOf(cause.getMessage()));
    }
  }
}
