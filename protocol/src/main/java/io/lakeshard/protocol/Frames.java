package io.lakeshard.protocol;

import com.google.protobuf.CodedInputStream;
import io.lakeshard.protocol.v1.ActionPush;
import io.lakeshard.protocol.v1.ActionResponse;
import io.lakeshard.protocol.v1.SyncPull;
import io.lakeshard.protocol.v1.SyncPush;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.IOException;

/**
 * WebSocket binary frames: a one-byte tag then a protobuf message. Client frames are tagged
 * push, pull or action push; replies to push and pull are an untagged SyncResponse, the reply to
 * an action push is tagged (LakeSync's 0x05), as are broadcasts.
 */
public final class Frames {
  public static final byte TAG_PUSH = 0x01;
  public static final byte TAG_PULL = 0x02;
  public static final byte TAG_BROADCAST = 0x03;
  public static final byte TAG_ACTION_PUSH = 0x04;
  public static final byte TAG_ACTION_RESPONSE = 0x05;

  /** A decoded client frame. */
  public sealed interface ClientFrame permits Push, Pull, Actions {}

  public record Push(SyncPush message) implements ClientFrame {}

  public record Pull(SyncPull message) implements ClientFrame {}

  public record Actions(ActionPush message) implements ClientFrame {}

  /** The frame's tag is not one a client may send. */
  public static final class UnknownTagException extends ProtocolException {
    UnknownTagException(String message) {
      super(message);
    }
  }

  private Frames() {}

  public static ClientFrame decode(byte[] frame) throws ProtocolException {
    if (frame.length < 1) {
      throw new UnknownTagException("empty frame");
    }
    try {
      return switch (frame[0]) {
        case TAG_PUSH -> new Push(SyncPush.parseFrom(payload(frame)));
        case TAG_PULL -> new Pull(SyncPull.parseFrom(payload(frame)));
        case TAG_ACTION_PUSH -> new Actions(ActionPush.parseFrom(payload(frame)));
        default -> throw new UnknownTagException(String.format("unknown frame tag 0x%02x", frame[0]));
      };
    } catch (IOException e) {
      throw new ProtocolException("malformed protobuf: " + e.getMessage(), e);
    }
  }

  public static byte[] encodePush(SyncPush push) {
    return tagged(TAG_PUSH, push.toByteArray());
  }

  public static byte[] encodePull(SyncPull pull) {
    return tagged(TAG_PULL, pull.toByteArray());
  }

  public static byte[] encodeBroadcast(SyncResponse response) {
    return tagged(TAG_BROADCAST, response.toByteArray());
  }

  public static byte[] encodeActionPush(ActionPush push) {
    return tagged(TAG_ACTION_PUSH, push.toByteArray());
  }

  public static byte[] encodeActionResponse(ActionResponse response) {
    return tagged(TAG_ACTION_RESPONSE, response.toByteArray());
  }

  private static CodedInputStream payload(byte[] frame) {
    return CodedInputStream.newInstance(frame, 1, frame.length - 1);
  }

  private static byte[] tagged(byte tag, byte[] body) {
    byte[] out = new byte[body.length + 1];
    out[0] = tag;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }
}
