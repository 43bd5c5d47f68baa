package io.lakeshard.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.junit.jupiter.api.Test;

class WebSocketMessagesTest {
  @Test
  void textIsMeasuredInItsUtf8Bytes() {
    for (String text : new String[] {"", "plain", "é", "€uro", "😀", "a\uD83Dz", "\uDE00", "mixé€😀"}) {
      assertThat(WebSocketMessages.utf8Length(text)).as(text).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void textOverTheLimitInBytesIsRefusedThoughItsCharsFit() {
    TextMessage euros = TextMessage.create("€€€");
    assertThat(WebSocketMessages.readText(euros, 9)).contains("€€€");
    assertThat(WebSocketMessages.readText(euros, 8)).isEmpty();
  }
}
