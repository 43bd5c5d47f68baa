package io.lakeshard.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.event.Logging;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameHandler;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.impl.engine.ws.ProtocolException;
import org.apache.pekko.http.impl.engine.ws.WebSocket;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import scala.Option;

/**
 * The message layer between Pekko HTTP's frame handling and a socket: what an echoing socket
 * receives (as the frames it sends back) for each sequence of {@code FrameHandler} events, and
 * which of those events reach the close handshake below.
 */
class MessageLayerTest {
  private static final ActorTestKit KIT = ActorTestKit.create();
  private static final Object COMPLETED = FrameHandler.UserHandlerCompleted$.MODULE$;
  private static final Object END = FrameHandler.MessageEnd$.MODULE$;

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  private static MessageLayer layer(long limit, Duration closeTimeout) {
    return new MessageLayer(limit, closeTimeout, Logging.getLogger(KIT.system().classicSystem(), MessageLayerTest.class));
  }

  /** Everything the layer passes down while {@code inbound} flows up into {@code socket}, until both end. */
  private static List<Object> run(long limit, Flow<Message, Message, ?> socket, Object... inbound) throws Exception {
    return Source.from(List.of(inbound))
        .via(BidiFlow.fromGraph(layer(limit, Duration.ofSeconds(3))).join(socket))
        .runWith(Sink.seq(), KIT.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<Object> echo(long limit, Object... inbound) throws Exception {
    return run(limit, Flow.create(), inbound);
  }

  private static Object binary(String data, boolean last) {
    return new FrameHandler.BinaryMessagePart(ByteString.fromString(data), last);
  }

  private static Object text(String data, boolean last) {
    return new FrameHandler.TextMessagePart(data, last);
  }

  private static void assertFrame(Object frame, int opcode, String data) {
    assertThat(frame).isInstanceOf(FrameStart.class);
    FrameStart start = (FrameStart) frame;
    assertThat(start.header().opcode().code()).isEqualTo((byte) opcode);
    assertThat(start.header().fin()).isTrue();
    assertThat(start.data().utf8String()).isEqualTo(data);
  }

  @Test
  void aFragmentedBinaryMessageReachesTheSocketWholeAndStrict() throws Exception {
    List<Object> out = run(100, Flow.<Message>create().map(message -> {
      assertThat(message.isStrict()).isTrue();
      return message;
    }), binary("ab", false), binary("", false), binary("cd", false), binary("ef", true), END);
    assertThat(out).hasSize(2);
    assertFrame(out.get(0), 2, "abcdef");
    assertThat(out.get(1)).isEqualTo(COMPLETED);
  }

  @Test
  void aFragmentedTextMessageIsJoinedAndSentBackAsUtf8Text() throws Exception {
    List<Object> out = echo(100, text("hé", false), text("llo ", false), text("wörld", true), END,
        text("one frame", true), END);
    assertFrame(out.get(0), 1, "héllo wörld");
    assertThat(((FrameStart) out.get(0)).data()).isEqualTo(ByteString.fromString("héllo wörld", StandardCharsets.UTF_8));
    assertFrame(out.get(1), 1, "one frame");
    assertThat(out.get(2)).isEqualTo(COMPLETED);
  }

  @Test
  void binaryAndTextMessagesKeepTheirKindAndOrder() throws Exception {
    List<Object> out = echo(100, binary("b1", true), END, text("t1", false), text("t2", true), END,
        binary("b2", false), binary("b3", true), END);
    assertFrame(out.get(0), 2, "b1");
    assertFrame(out.get(1), 1, "t1t2");
    assertFrame(out.get(2), 2, "b2b3");
    assertThat(out).hasSize(4);
  }

  @Test
  void controlFrameAnswersBetweenFragmentsGoDownAtOnceAndTheMessageStaysWhole() throws Exception {
    Object pong = new FrameHandler.DirectAnswer(
        FrameEvent.fullFrame(Protocol.Opcode$.MODULE$.forCode((byte) 0xA), Option.empty(), ByteString.fromString("p"),
            true, false, false, false));
    List<Object> out = echo(100, binary("ab", false), pong, binary("cd", false), pong, binary("ef", true), END);
    assertThat(out).hasSize(4);
    assertThat(out.get(0)).isSameAs(pong);
    assertThat(out.get(1)).isSameAs(pong);
    assertFrame(out.get(2), 2, "abcdef");
    assertThat(out.get(3)).isEqualTo(COMPLETED);
  }

  @Test
  void aMessageOverTheLimitArrivesCutShortButStillOverItAndAMessageAtTheLimitArrivesWhole() throws Exception {
    List<Object> out = echo(4, binary("abc", false), binary("def", false), binary("ghi", true), END,
        binary("ab", false), binary("cd", true), END,
        text("xyz", false), text("uvw", false), text("rst", true), END);
    assertFrame(out.get(0), 2, "abcdef");
    assertThat(WebSocketMessages.read(message(out.get(0)), 4)).as("refused by the socket's limit check").isEmpty();
    assertFrame(out.get(1), 2, "abcd");
    assertFrame(out.get(2), 1, "xyzuvw");
  }

  private static Message message(Object frame) {
    return org.apache.pekko.http.javadsl.model.ws.BinaryMessage.create(((FrameStart) frame).data());
  }

  @Test
  void aSocketFailingWithCloseWithClosesWithItsCodeAndAnyOtherFailureIsPekkosInternalError() throws Exception {
    List<Object> closed = run(100, Flow.<Message>create().map(message -> {
      throw new WebSocketCloseCodes.CloseWith(WebSocketCloseCodes.MESSAGE_TOO_BIG, "frame over 100 bytes");
    }), binary("a", true), END);
    assertThat(closed).containsExactly(
        new FrameHandler.ActivelyCloseWithCode(Option.apply((Object) 1009), "frame over 100 bytes"));

    IllegalStateException bug = new IllegalStateException("bug");
    List<Object> failed = run(100, Flow.<Message>create().map(message -> {
      throw bug;
    }), binary("a", true), END);
    assertThat(failed).containsExactly(new FrameHandler.UserHandlerErredOut(bug));
  }

  @Test
  void aRegularPeerCloseGoesDownAndEndsTheSocketsInput() throws Exception {
    Object peerClosed = new FrameHandler.PeerClosed(Option.apply((Object) 1000), "bye");
    List<Object> out = echo(100, binary("a", true), END, peerClosed);
    assertFrame(out.get(0), 2, "a");
    assertThat(out.subList(1, out.size())).containsExactly(peerClosed, COMPLETED);
  }

  @Test
  void aPeerCloseInTheMiddleOfAMessageFailsTheSocketsInputAsTruncated() throws Exception {
    Object peerClosed = new FrameHandler.PeerClosed(Option.empty(), "");
    List<Object> out = echo(100, binary("ab", false), peerClosed);
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isSameAs(peerClosed);
    assertThat(((FrameHandler.UserHandlerErredOut) out.get(1)).cause())
        .isInstanceOf(ProtocolException.class).hasMessageContaining("Truncated");
  }

  @Test
  void onceAServerCloseHasBegunTicksTimeTheHandshakeOut() throws Exception {
    Object close = new FrameHandler.ActivelyCloseWithCode(Option.apply((Object) 1002), "");
    List<Object> out = Source.single(close).concat(Source.maybe())
        .via(BidiFlow.fromGraph(layer(100, Duration.ofMillis(20))).join(Flow.<Message>create()))
        .takeWhile(event -> event != WebSocket.Tick$.MODULE$, true)
        .runWith(Sink.seq(), KIT.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(out.get(0)).isSameAs(close);
    assertThat(((FrameHandler.UserHandlerErredOut) out.get(1)).cause()).isInstanceOf(ProtocolException.class);
    assertThat(out.get(2)).isEqualTo(WebSocket.Tick$.MODULE$);
  }
}
