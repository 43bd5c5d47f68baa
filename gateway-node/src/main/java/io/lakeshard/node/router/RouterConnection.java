package io.lakeshard.node.router;

import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.RequestTiming;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.metrics.RouterMeters;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One client connection of the router's listener: each request is decided by the
 * {@link RouterService} from its head, then answered here or forwarded through a pooled upstream
 * connection of the same event loop. Both bodies stream with backpressure: a side that cannot
 * write stops reading the other ({@code autoRead}), so a 1 GiB body passes through a few 64 KiB
 * pieces. Requests are answered one at a time, in order; a pipelined one waits.
 */
final class RouterConnection extends ChannelInboundHandlerAdapter {
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString HTTP = AsciiString.cached("http");
  private final RouterService service;
  private final ServerTiming timing;
  private final UpstreamPool pool;
  private final long timeoutNanos;
  private ChannelHandlerContext ctx;
  private String clientAddress;
  /** The request being answered; null between requests. */
  private Exchange current;
  /** What the client sent after the current request, until it is answered. */
  private final ArrayDeque<Object> pipelined = new ArrayDeque<>();

  RouterConnection(RouterService service, ServerTiming timing, UpstreamPool pool, long timeoutNanos) {
    this.service = service;
    this.timing = timing;
    this.pool = pool;
    this.timeoutNanos = timeoutNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext context) {
    ctx = context;
  }

  @Override
  public void channelActive(ChannelHandlerContext context) {
    clientAddress = ((InetSocketAddress) context.channel().remoteAddress()).getAddress().getHostAddress();
    context.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext context, Object message) {
    if (current != null && current.received) {
      pipelined.add(message);
    } else {
      accept(message);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext context) {
    if (current != null && current.upstream != null) {
      current.upstream.flush();
    }
    context.flush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext context) {
    if (current != null && current.upstream != null && current.responded) {
      current.upstream.config().setAutoRead(context.channel().isWritable());
    }
    context.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext context) {
    if (current != null) {
      current.clientClosed();
      current = null;
    }
    pipelined.forEach(ReferenceCountUtil::release);
    pipelined.clear();
    context.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
    context.close(); // a reset or malformed connection: nothing to answer on it
  }

  private void accept(Object message) {
    if (current == null) {
      if (!(message instanceof HttpRequest request)) {
        ReferenceCountUtil.release(message);
        return;
      }
      if (request.decoderResult().isFailure()) {
        ReferenceCountUtil.release(message);
        FullHttpResponse refused = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
        refused.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(refused).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      current = new Exchange(request);
      current.begin();
    }
    if (message instanceof HttpContent content) {
      current.requestBody(content);
    }
  }

  /** Done with the current request: read on, starting with what the client pipelined meanwhile. */
  private void finished(Exchange exchange) {
    if (current != exchange) {
      return;
    }
    current = null;
    ctx.channel().config().setAutoRead(true);
    while (!pipelined.isEmpty() && (current == null || !current.received)) {
      accept(pipelined.poll());
    }
  }

  /** One request and its answer, as the client and, when forwarded, the backend see it. */
  private final class Exchange implements UpstreamConnection.Exchange {
    private final HttpRequest head;
    private final String path;
    private final Optional<RequestTiming> timed;
    private Backend backend;
    private long forwardedNanos;
    /** The upstream connection while this exchange holds it, and what went over it. */
    private Channel upstream;
    private UpstreamAttempt attempt;
    private HttpRequest forwardedHead;
    private final ChannelFutureListener sentToTheEnd = this::sentToTheEnd;
    /** The request's body read before its upstream connection was ready. */
    private ArrayDeque<HttpContent> queued;
    private ScheduledFuture<?> timeout;
    /** The client's request has been read to its end. */
    private boolean received;
    /** The request has been written upstream to its end. */
    private boolean sent;
    /** An answer's head went to the client. */
    private boolean responded;
    /** The answer went to the client to its end. */
    private boolean answered;
    private boolean upstreamReusable;
    /** Between an informational (1xx) head from the backend and its end. */
    private boolean informational;

    Exchange(HttpRequest head) {
      this.head = head;
      this.path = new QueryStringDecoder(head.uri()).path();
      this.timed = timing.start(Optional.ofNullable(head.headers().get(ServerTiming.REQUEST_HEADER)));
    }

    void begin() {
      RouterService.Decision decision;
      try {
        decision = service.decide(head.method().name(), path, name -> Optional.ofNullable(head.headers().get(name)));
      } catch (RuntimeException e) {
        answer(service.internalError(head.method().name(), path, e));
        return;
      }
      if (decision instanceof RouterService.Forward forward) {
        forward(forward.backend());
      } else if (decision instanceof RouterService.Answer local) {
        answer(local);
      } else if (decision == RouterService.Preflight.INSTANCE) {
        preflight();
      } else {
        service.health().whenComplete((answer, failure) -> ctx.executor().execute(
            () -> answer(answer != null ? answer : service.internalError(head.method().name(), path, failure))));
      }
    }

    void requestBody(HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (last) {
        received = true;
        ctx.channel().config().setAutoRead(false); // a pipelined request waits for this one's answer
      }
      if (upstream != null) {
        sendBody(content);
        if (last) {
          upstream.flush();
        } else if (!upstream.isWritable()) {
          ctx.channel().config().setAutoRead(false); // until the upstream connection drains
        }
      } else if (queued != null) {
        queued.add(content);
      } else {
        content.release(); // answered by the router, or the upstream is gone: the body goes nowhere
      }
      if (received && answered) {
        finished(this);
      }
    }

    private void forward(Backend target) {
      backend = target;
      forwardedNanos = System.nanoTime();
      Channel idle = pool.idle(target);
      if (idle != null) {
        attach(idle, true);
        upstream.flush();
      } else {
        connect();
      }
    }

    /** A new upstream connection; the request's body read meanwhile waits in {@code queued}. */
    private void connect() {
      queued = new ArrayDeque<>(2);
      ctx.channel().config().setAutoRead(false); // until the connection is there
      ChannelFuture connecting = pool.connect(backend);
      connecting.addListener(future -> connected(connecting));
    }

    private void connected(ChannelFuture connecting) {
      if (!connecting.isSuccess()) {
        unreachable(String.valueOf(connecting.cause().getMessage()));
        return;
      }
      if (queued == null) { // the client went away meanwhile
        UpstreamConnection.of(connecting.channel()).release(connecting.channel(), true); // never held: idle
        return;
      }
      attach(connecting.channel(), false);
      ArrayDeque<HttpContent> body = queued;
      queued = null;
      for (HttpContent content; (content = body.poll()) != null; ) {
        sendBody(content);
      }
      upstream.flush();
      if (!received) {
        ctx.channel().config().setAutoRead(upstream.isWritable());
      }
    }

    /** {@code channel} carries this request from here: its head goes first. */
    private void attach(Channel channel, boolean reused) {
      upstream = channel;
      UpstreamConnection.of(channel).exchange(this);
      attempt = new UpstreamAttempt(reused);
      if (forwardedHead == null) {
        forwardedHead = upstreamHead(pool.target(backend));
      }
      upstream.write(forwardedHead).addListener(attempt); // a retry writes the same head again
    }

    private void sendBody(HttpContent content) {
      attempt.sending(content);
      if (content instanceof LastHttpContent) {
        upstream.write(content).addListener(sentToTheEnd);
      } else {
        upstream.write(content, upstream.voidPromise()); // a failure closes the connection, which reports it
      }
    }

    /** The upstream timeout counts from here, so a large upload is not cut off while it is still being written. */
    private void sentToTheEnd(ChannelFuture written) {
      if (!written.isSuccess() || written.channel() != upstream) {
        return; // the connection's close reports it, or it is an earlier attempt's
      }
      sent = true;
      if (!responded) {
        timeout = ctx.executor().schedule(this::timedOut, timeoutNanos, TimeUnit.NANOSECONDS);
      }
    }

    private void timedOut() {
      if (responded || upstream == null) {
        return;
      }
      detachUpstream(false); // its late answer must not reach the next request
      answer(service.failed(backend, head.method().name(), path, RouterMeters.Failure.TIMEOUT,
          "no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
    }

    @Override
    public void upstreamRead(HttpObject message) {
      attempt.heard();
      if (message instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        informational = true; // e.g. 103 Early Hints: not the answer, which follows
        ReferenceCountUtil.release(message);
        return;
      }
      if (informational) {
        informational = !(message instanceof LastHttpContent);
        ReferenceCountUtil.release(message);
        return;
      }
      if (message instanceof HttpResponse response) {
        if (timeout != null) {
          timeout.cancel(false);
        }
        service.answered(backend, forwardedNanos);
        timed.ifPresent(t -> t.add(RequestTiming.Part.UPSTREAM, System.nanoTime() - forwardedNanos));
        upstreamReusable = HttpUtil.isKeepAlive(response);
        responded = true;
        ctx.write(clientHead(response), ctx.voidPromise()); // a failed write closes the client's connection
      }
      if (message instanceof HttpContent content) {
        if (!(content instanceof LastHttpContent)) {
          if (!ctx.write(content, ctx.voidPromise()).channel().isWritable()) {
            upstream.config().setAutoRead(false); // until the client drains
          }
          return;
        }
        answered = true;
        ctx.writeAndFlush(content, ctx.voidPromise());
        detachUpstream(upstreamReusable && sent);
        if (received) {
          finished(this);
        }
      }
    }

    @Override
    public void upstreamReadComplete() {
      ctx.flush();
    }

    @Override
    public void upstreamWritabilityChanged(boolean writable) {
      if (!received) {
        ctx.channel().config().setAutoRead(writable);
      }
    }

    @Override
    public void upstreamClosed(String reason) {
      upstream = null;
      if (!responded && attempt.retryable(head.method())) {
        retry(reason);
      } else if (!responded) {
        unreachable(reason);
      } else if (!answered) {
        ctx.close(); // the answer was cut short: so is the client's copy
      }
    }

    /** Again on a fresh connection, as the reused one failed before it could have served the request. */
    private void retry(String reason) {
      service.retried(backend, head.method().name(), path, reason);
      if (timeout != null) {
        timeout.cancel(false);
      }
      sent = false;
      connect();
      if (received) {
        queued.add(LastHttpContent.EMPTY_LAST_CONTENT); // the (empty) end went to the failed connection
      }
    }

    private void unreachable(String reason) {
      answer(service.failed(backend, head.method().name(), path, RouterMeters.Failure.UNREACHABLE, reason));
    }

    void clientClosed() {
      if (timeout != null) {
        timeout.cancel(false);
      }
      if (queued != null) {
        queued.forEach(ReferenceCountUtil::release);
        queued = null;
      }
      if (upstream != null) {
        detachUpstream(false);
      }
    }

    private void detachUpstream(boolean reusable) {
      Channel channel = upstream;
      upstream = null;
      UpstreamConnection.of(channel).release(channel, reusable);
    }

    /** A JSON answer of the router's own; the request's body, if any, is read and dropped. */
    private void answer(RouterService.Answer local) {
      if (responded) {
        return; // answered already: a late failure changes nothing
      }
      if (timeout != null) {
        timeout.cancel(false);
      }
      if (queued != null) {
        queued.forEach(ReferenceCountUtil::release);
        queued = null;
        ctx.channel().config().setAutoRead(true);
      }
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.valueOf(local.status()), Unpooled.wrappedBuffer(JsonBodies.bytes(local.body())));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
          .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
      complete(response);
    }

    private void preflight() {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
      response.headers().set(RouterCors.MAX_AGE.getKey(), RouterCors.MAX_AGE.getValue());
      complete(response);
    }

    private void complete(FullHttpResponse response) {
      withRouterHeaders(response.headers());
      responded = true;
      answered = true;
      ctx.writeAndFlush(response);
      if (received) {
        finished(this);
      }
    }

    private void withRouterHeaders(HttpHeaders headers) {
      RouterCors.HEADERS.forEach(header -> headers.add(header.getKey(), header.getValue()));
      timed.ifPresent(t -> headers.set(ServerTiming.RESPONSE_HEADER, t.header()));
    }

    /**
     * The request as the backend gets it: below its base path, with the forwarding headers and its
     * credential. The client's head is edited, not copied (it is this exchange's alone).
     */
    private HttpRequest upstreamHead(UpstreamPool.Target target) {
      HttpHeaders headers = head.headers();
      boolean chunked = HttpUtil.isTransferEncodingChunked(head);
      String host = headers.get(HttpHeaderNames.HOST);
      String forwardedFor = HeaderRules.forwardedFor(headers.getAll(HeaderRules.FORWARDED_FOR), clientAddress);
      HeaderRules.removeNotForwarded(headers);
      headers.set(HeaderRules.FORWARDED_FOR, forwardedFor);
      headers.set(X_FORWARDED_PROTO, HTTP);
      if (host != null) {
        headers.set(X_FORWARDED_HOST, host);
      }
      headers.set(HttpHeaderNames.HOST, target.authority());
      backend.credential().ifPresent(c -> headers.set(c.header(), c.value())); // replaces the client's, if any
      if (chunked) {
        HttpUtil.setTransferEncodingChunked(head, true); // Transfer-Encoding is hop-by-hop: set again for this hop
      }
      return new DefaultHttpRequest(HttpVersion.HTTP_1_1, head.method(), target.basePath() + relative(head.uri()), headers);
    }

    /** The backend's answer head as the client gets it: without hop-by-hop and CORS headers, with the router's. */
    private HttpResponse clientHead(HttpResponse response) {
      HttpHeaders headers = response.headers();
      HeaderRules.removeNotForwarded(headers);
      RouterCors.removeUpstreams(headers);
      withRouterHeaders(headers);
      response.setProtocolVersion(HttpVersion.HTTP_1_1);
      int status = response.status().code();
      boolean bodied = !head.method().equals(HttpMethod.HEAD) && status >= 200 && status != 204 && status != 304;
      if (bodied && !HttpUtil.isContentLengthSet(response)) {
        HttpUtil.setTransferEncodingChunked(response, true); // its length is known once it ends
      }
      return response;
    }
  }

  /** The path and query of a request target, also of an absolute one ({@code http://host/p?q}). */
  private static String relative(String uri) {
    int scheme = uri.indexOf("://");
    if (scheme < 0 || uri.startsWith("/")) {
      return uri;
    }
    int path = uri.indexOf('/', scheme + 3);
    return path < 0 ? "/" : uri.substring(path);
  }
}
