package io.lakeshard.node.stream;

import io.lakeshard.core.Sha256;
import io.lakeshard.node.NodeSettings;
import io.lakeshard.node.auth.JwtAuth;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who may use {@code /v1/stream/{id}}: mutations (PUT, POST, DELETE) carry a static bearer token,
 * reads (GET, HEAD, live or not) an HS256 JWT signed with the node's secret; each is off unless
 * configured, as the protocol expects open streams. A read of a {@code session:{id}} stream needs
 * a token whose {@code session_id} is {@code id}; other streams need just a valid token.
 */
public final class StreamAuth {
  static final String SESSION_PREFIX = "session:";

  /** A refused request: without valid credentials (401), or with credentials for another session (403). */
  record Denied(boolean forbidden, String message) {}

  /** SHA-256 of the write token: comparing digests takes the same time whatever the token's length or content. */
  private final Optional<byte[]> writeTokenDigest;
  private final Optional<JwtAuth> readTokens;

  private StreamAuth(Optional<byte[]> writeTokenDigest, Optional<JwtAuth> readTokens) {
    this.writeTokenDigest = writeTokenDigest;
    this.readTokens = readTokens;
  }

  /** From the stream route settings; read tokens are checked with the node's verifier, even when gateway auth is off. */
  public static StreamAuth from(NodeSettings.StreamRouteSettings streams, Optional<JwtAuth> tokens) {
    Optional<byte[]> writeToken = streams.writeToken().isEmpty() ? Optional.empty()
        : Optional.of(Sha256.of(streams.writeToken()));
    if (!streams.readJwt()) {
      return new StreamAuth(writeToken, Optional.empty());
    }
    if (tokens.isEmpty()) {
      throw new IllegalStateException(
          "LAKESHARD_STREAM_READ_JWT needs LAKESHARD_JWT_SECRET (at least 32 bytes) to check read tokens with");
    }
    return new StreamAuth(writeToken, tokens);
  }

  public boolean writesOpen() {
    return writeTokenDigest.isEmpty();
  }

  public boolean readsOpen() {
    return readTokens.isEmpty();
  }

  /** Empty when a mutation (create, append, delete) may go on. */
  Optional<Denied> checkWrite(Optional<String> bearer) {
    if (writeTokenDigest.isEmpty()) {
      return Optional.empty();
    }
    if (bearer.isEmpty()) {
      return unauthorized("writing to a stream needs a bearer token");
    }
    return MessageDigest.isEqual(Sha256.of(bearer.get()), writeTokenDigest.get()) ? Optional.empty()
        : unauthorized("wrong write token");
  }

  /** Empty when a read (catch-up, live, head) of {@code streamId} may go on. */
  Optional<Denied> checkRead(String streamId, Optional<String> bearer) {
    if (readTokens.isEmpty()) {
      return Optional.empty();
    }
    if (bearer.isEmpty()) {
      return unauthorized("reading a stream needs a bearer token");
    }
    Optional<String> session;
    try {
      session = readTokens.get().verifyStreamReader(bearer.get());
    } catch (JwtAuth.InvalidTokenException e) {
      return unauthorized(e.getMessage());
    }
    if (streamId.startsWith(SESSION_PREFIX)
        && !session.filter(streamId.substring(SESSION_PREFIX.length())::equals).isPresent()) {
      return Optional.of(new Denied(true, "token is not for session stream " + streamId));
    }
    return Optional.empty();
  }

  private static Optional<Denied> unauthorized(String message) {
    return Optional.of(new Denied(false, message));
  }
}
