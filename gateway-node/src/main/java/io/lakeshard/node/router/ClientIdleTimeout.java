package io.lakeshard.node.router;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection that has had no request in progress for its timeout, as nginx's
 * {@code keepalive_timeout} (75 s): before the first request and between requests. A request
 * being answered never times out here however long it takes (the upstream timeout bounds the
 * backend's part). One timer per connection, re-armed when it fires rather than per request.
 */
final class ClientIdleTimeout extends ChannelDuplexHandler {
  private final long timeoutNanos;
  /** Requests read whose answer has not been written to its end. */
  private int pending;
  private long idleSince;
  private ScheduledFuture<?> check;

  ClientIdleTimeout(long timeoutNanos) {
    this.timeoutNanos = timeoutNanos;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    idleSince = System.nanoTime();
    check = ctx.executor().schedule(() -> check(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object message) {
    if (message instanceof HttpRequest) {
      pending++;
    }
    ctx.fireChannelRead(message);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
    boolean informational = message instanceof HttpResponse response
        && response.status().codeClass() == HttpStatusClass.INFORMATIONAL; // a 100 Continue ends no answer
    if (message instanceof LastHttpContent && !informational && pending > 0 && --pending == 0) {
      idleSince = System.nanoTime();
    }
    ctx.write(message, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (check != null) {
      check.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  private void check(ChannelHandlerContext ctx) {
    long left = pending > 0 ? timeoutNanos : idleSince + timeoutNanos - System.nanoTime();
    if (left <= 0) {
      ctx.close();
    } else if (ctx.channel().isActive()) {
      check = ctx.executor().schedule(() -> check(ctx), left, TimeUnit.NANOSECONDS);
    }
  }
}
