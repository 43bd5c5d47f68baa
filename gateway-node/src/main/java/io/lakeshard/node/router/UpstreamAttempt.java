package io.lakeshard.node.router;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Set;

/**
 * One try of a forwarded request on one upstream connection, and whether its failure may be tried
 * again on a fresh connection, as nginx does with its keep-alive cache: a backend may close an
 * idle keep-alive connection just as a request goes out on it, which is no failure of the backend.
 * Only a reused connection's failure is tried again, only before anything of the answer came back,
 * and only when the request can be sent again whole: no body byte left (a streamed body is never
 * held for a replay) and either the method is idempotent (RFC 9110 §9.2.2) or not even the head
 * was written, so the backend cannot have acted on it. A fresh connection's failure is a 503.
 * Listens to the head's write.
 */
final class UpstreamAttempt implements ChannelFutureListener {
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);
  private final boolean reused;
  private boolean headWritten;
  private boolean bodySent;
  private boolean heard;

  /** {@code reused}: the connection carried an earlier request (it came from the idle pool). */
  UpstreamAttempt(boolean reused) {
    this.reused = reused;
  }

  /** The head's write finished. */
  @Override
  public void operationComplete(ChannelFuture written) {
    headWritten |= written.isSuccess();
  }

  /** A piece of the request's body goes out on this connection (its trailers count as body). */
  void sending(HttpContent piece) {
    bodySent |= piece.content().isReadable()
        || piece instanceof LastHttpContent last && !last.trailingHeaders().isEmpty();
  }

  /** Something of the answer (or an informational head) came back. */
  void heard() {
    heard = true;
  }

  /** The connection failed: may the request go again, once, on a fresh connection? */
  boolean retryable(HttpMethod method) {
    return reused && !heard && !bodySent && (!headWritten || IDEMPOTENT.contains(method));
  }
}
