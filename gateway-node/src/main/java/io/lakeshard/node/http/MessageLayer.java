package io.lakeshard.node.http;

import java.time.Duration;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameHandler;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.impl.engine.ws.ProtocolException;
import org.apache.pekko.http.impl.engine.ws.WebSocket;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.scaladsl.model.ws.PeerClosedConnectionException;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import scala.Option;

/**
 * The top WebSocket layer, in place of Pekko HTTP's {@code WebSocket.messageAPI}: one stage that
 * collects each message's frames into a strict message ({@link WholeMessages}) and renders each
 * outgoing strict message as one frame. {@code messageAPI} splits the frames into a substream per
 * message and flattens a source per outgoing one: those materializations were half the node's CPU
 * with one gateway and 50 pushers sending batches of 1 (JFR). Control frames, keep-alive and the
 * close handshake stay in the layers below; this one passes their events down, as {@code
 * messageAPI} does, and adds what {@link WebSocketCloseCodes} promises: a handler failing with
 * {@link WebSocketCloseCodes.CloseWith} closes with that code. The handler only sends strict
 * messages (a streamed one fails the connection).
 *
 * <p>Inbound ({@code framesIn}) are {@code FrameHandler.Output}s; outbound ({@code framesOut})
 * what {@code FrameOutHandler} takes: frames, those events, the handler's end and the ticks that
 * time a close handshake out. The ticks run once a close has begun, not for every idle session.
 */
final class MessageLayer extends GraphStage<BidiShape<Object, Message, Message, Object>> {
  private static final String TICK = "close-tick";
  /** RFC 6455's opcodes (Pekko's own constants are Scala objects javac cannot name). */
  private static final Protocol.Opcode TEXT = Protocol.Opcode$.MODULE$.forCode((byte) 1);
  private static final Protocol.Opcode BINARY = Protocol.Opcode$.MODULE$.forCode((byte) 2);

  private final Inlet<Object> framesIn = Inlet.create("MessageLayer.framesIn");
  private final Outlet<Message> messagesOut = Outlet.create("MessageLayer.messagesOut");
  private final Inlet<Message> messagesIn = Inlet.create("MessageLayer.messagesIn");
  private final Outlet<Object> framesOut = Outlet.create("MessageLayer.framesOut");
  private final BidiShape<Object, Message, Message, Object> shape =
      BidiShape.of(framesIn, messagesOut, messagesIn, framesOut);
  private final long maxMessageBytes;
  private final Duration closeTimeout;
  private final LoggingAdapter log;

  MessageLayer(long maxMessageBytes, Duration closeTimeout, LoggingAdapter log) {
    this.maxMessageBytes = maxMessageBytes;
    this.closeTimeout = closeTimeout;
    this.log = log;
  }

  @Override
  public BidiShape<Object, Message, Message, Object> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private final class Logic extends TimerGraphStageLogic {
    private final WholeMessages messages = new WholeMessages(maxMessageBytes);

    Logic() {
      super(shape);
      setHandler(framesIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          inbound(grab(framesIn));
        }

        @Override
        public void onUpstreamFinish() {
          complete(messagesOut);
          if (isClosed(messagesIn)) {
            complete(framesOut);
          }
        }
      });
      setHandler(messagesOut, new AbstractOutHandler() {
        @Override
        public void onPull() {}

        /** A handler that stops reading still has its socket: control frames keep flowing. */
        @Override
        public void onDownstreamFinish(Throwable cause) {
          pullFrames();
        }
      });
      setHandler(messagesIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          emit(framesOut, frame(grab(messagesIn)), Logic.this::pullMessages);
        }

        @Override
        public void onUpstreamFinish() {
          handlerEnded(FrameHandler.UserHandlerCompleted$.MODULE$);
        }

        @Override
        public void onUpstreamFailure(Throwable failure) {
          handlerEnded(closing(failure));
        }
      });
      // Pulled by its inlets, which push as soon as the layer below takes an element.
      setHandler(framesOut, new AbstractOutHandler() {
        @Override
        public void onPull() {}
      });
    }

    @Override
    public void preStart() {
      pull(framesIn);
      pull(messagesIn);
    }

    private void inbound(Object event) {
      if (event instanceof FrameHandler.MessageDataPart part) {
        Message whole = messages.add(part);
        if (whole == null || isClosed(messagesOut)) {
          pullFrames();
        } else {
          emit(messagesOut, whole, this::pullFrames);
        }
      } else if (event instanceof FrameHandler.PeerClosed || event instanceof FrameHandler.ActivelyCloseWithCode) {
        closeBegun();
        emit(framesOut, event, () -> {
          endMessages(event);
          pullFrames();
        });
      } else if (event == FrameHandler.MessageEnd$.MODULE$) {
        pullFrames();
      } else {
        emit(framesOut, event, this::pullFrames);
      }
    }

    /** As {@code messageAPI} ends the handler's input on a close: completed, or failed with why. */
    private void endMessages(Object close) {
      if (isClosed(messagesOut)) {
        return;
      }
      if (close instanceof FrameHandler.PeerClosed peer) {
        if (isError(peer.code())) {
          fail(messagesOut, new PeerClosedConnectionException((Integer) peer.code().get(), peer.reason()));
        } else if (messages.inMessage()) {
          fail(messagesOut, new ProtocolException("Truncated message, peer closed connection in the middle of message."));
        } else {
          complete(messagesOut);
        }
      } else {
        Option<Object> code = ((FrameHandler.ActivelyCloseWithCode) close).code();
        fail(messagesOut, isError(code)
            ? new ProtocolException("Closing connection with error code " + code.get())
            : new IllegalStateException("Regular close from FrameHandler is unexpected"));
      }
    }

    private void handlerEnded(Object end) {
      closeBegun();
      emit(framesOut, end);
      if (isClosed(framesIn)) {
        complete(framesOut);
      }
    }

    private void closeBegun() {
      if (!isTimerActive(TICK)) {
        scheduleWithFixedDelay(TICK, closeTimeout, closeTimeout);
      }
    }

    @Override
    public void onTimer(Object key) {
      if (isAvailable(framesOut)) {
        push(framesOut, WebSocket.Tick$.MODULE$);
      }
    }

    private void pullFrames() {
      if (!isClosed(framesIn) && !hasBeenPulled(framesIn)) {
        pull(framesIn);
      }
    }

    private void pullMessages() {
      if (!isClosed(messagesIn) && !hasBeenPulled(messagesIn)) {
        pull(messagesIn);
      }
    }
  }

  /** The handler's failure as the close it asks for ({@link WebSocketCloseCodes.CloseWith}), else Pekko's 1011. */
  private Object closing(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof WebSocketCloseCodes.CloseWith close) {
        log.info("closing WebSocket with {}: {}", close.code, close.getMessage());
        return new FrameHandler.ActivelyCloseWithCode(Option.apply((Object) close.code), close.frameReason());
      }
    }
    return new FrameHandler.UserHandlerErredOut(failure);
  }

  private static boolean isError(Option<Object> code) {
    return code.isDefined() && Protocol.CloseCodes$.MODULE$.isError((Integer) code.get());
  }

  private static FrameStart frame(Message message) {
    return message.isText()
        ? FrameEvent.fullFrame(TEXT, Option.empty(),
            ByteString.fromString(message.asTextMessage().getStrictText()), true, false, false, false)
        : FrameEvent.fullFrame(BINARY, Option.empty(),
            message.asBinaryMessage().getStrictData(), true, false, false, false);
  }
}
