package io.lakeshard.node.claims;

/** The replicated claims version could not be read or written in time: refuse, retryably, never accept. */
public final class ClaimsUnavailableException extends RuntimeException {
  public ClaimsUnavailableException(String message) {
    super(message, null, false, false);
  }
}
