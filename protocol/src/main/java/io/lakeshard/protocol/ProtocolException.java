package io.lakeshard.protocol;

/** Input that does not follow the wire protocol; the message is safe to show to the client. */
public class ProtocolException extends Exception {
  public ProtocolException(String message) {
    super(message);
  }

  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
