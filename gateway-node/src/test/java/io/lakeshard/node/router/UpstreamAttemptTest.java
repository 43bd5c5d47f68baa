package io.lakeshard.node.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** When a failed upstream connection's request goes again on a new one. */
class UpstreamAttemptTest {
  private final EmbeddedChannel channel = new EmbeddedChannel();

  @Test
  void anIdempotentRequestWithoutBodyGoesAgainWhenItsReusedConnectionFailedBeforeAnswering() {
    for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.PUT, HttpMethod.DELETE}) {
      UpstreamAttempt attempt = headWritten(new UpstreamAttempt(true));
      attempt.sending(LastHttpContent.EMPTY_LAST_CONTENT);
      assertThat(attempt.retryable(method)).as(method.name()).isTrue();
    }
  }

  @Test
  void aPostGoesAgainOnlyWhenNotEvenItsHeadWasWritten() {
    assertThat(new UpstreamAttempt(true).retryable(HttpMethod.POST)).isTrue();
    UpstreamAttempt failedHead = new UpstreamAttempt(true);
    failedHead.operationComplete(channel.newFailedFuture(new java.io.IOException("broken pipe")));
    assertThat(failedHead.retryable(HttpMethod.POST)).isTrue();
    assertThat(headWritten(new UpstreamAttempt(true)).retryable(HttpMethod.POST)).isFalse();
    assertThat(headWritten(new UpstreamAttempt(true)).retryable(HttpMethod.PATCH)).isFalse();
  }

  @Test
  void aBodyThatWentOutIsNeverSentAgain() {
    UpstreamAttempt put = headWritten(new UpstreamAttempt(true));
    put.sending(new DefaultHttpContent(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
    assertThat(put.retryable(HttpMethod.PUT)).isFalse();
    UpstreamAttempt trailers = headWritten(new UpstreamAttempt(true));
    LastHttpContent end = new DefaultLastHttpContent();
    end.trailingHeaders().add("X-Checksum", "1");
    trailers.sending(end);
    assertThat(trailers.retryable(HttpMethod.PUT)).as("trailers are part of the body").isFalse();
    UpstreamAttempt unwritten = new UpstreamAttempt(true);
    unwritten.sending(new DefaultHttpContent(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8)));
    assertThat(unwritten.retryable(HttpMethod.POST)).as("a body may follow a head whose write is pending").isFalse();
  }

  @Test
  void nothingGoesAgainOnceTheBackendAnsweredOrOnANewConnection() {
    UpstreamAttempt answered = headWritten(new UpstreamAttempt(true));
    answered.heard();
    assertThat(answered.retryable(HttpMethod.GET)).isFalse();
    assertThat(headWritten(new UpstreamAttempt(false)).retryable(HttpMethod.GET)).isFalse();
    assertThat(new UpstreamAttempt(false).retryable(HttpMethod.POST)).isFalse();
  }

  private UpstreamAttempt headWritten(UpstreamAttempt attempt) {
    attempt.operationComplete(channel.newSucceededFuture());
    return attempt;
  }
}
