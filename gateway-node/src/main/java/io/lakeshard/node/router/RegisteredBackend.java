package io.lakeshard.node.router;

import io.lakeshard.core.CborSerializable;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A cluster registry entry, as replicated (the spec's {@code backend:<id>} value). It never holds a
 * secret: {@code authEnv} names the variable each node reads the credential from (empty: none),
 * and only {@code BACKEND_*} variables may be named, so an admin token cannot have a node send its
 * own secrets (LAKESHARD_JWT_SECRET, ...) to an upstream the token chose.
 */
public record RegisteredBackend(String id, String name, String url, String type, String healthPath,
                                String authHeader, String authEnv) implements CborSerializable {
  private static final Pattern AUTH_ENV = Pattern.compile("BACKEND_[A-Z0-9_]{1,120}");

  /** Checks every field as the router will use it; IllegalArgumentException says which is wrong. */
  public RegisteredBackend {
    if (!authEnv.isEmpty() && !AUTH_ENV.matcher(authEnv).matches()) {
      throw new IllegalArgumentException("auth_env must name a BACKEND_* variable, not '" + authEnv + "'");
    }
    if (authHeader.isEmpty() || !authHeader.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
      throw new IllegalArgumentException("auth_header must be a header name, not '" + authHeader + "'");
    }
    new Backend(id, name, url, type, healthPath, Optional.empty());
  }

  /** The backend as this node routes to it, its credential read from this node's environment. */
  Backend toBackend(Map<String, String> env) {
    Optional<Backend.Credential> credential = Optional.of(authEnv).filter(variable -> !variable.isEmpty())
        .map(env::get).filter(value -> !value.isEmpty())
        .map(value -> new Backend.Credential(authHeader, value));
    return new Backend(id, name, url, type, healthPath, credential);
  }
}
