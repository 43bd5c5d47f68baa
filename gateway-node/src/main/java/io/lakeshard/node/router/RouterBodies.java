package io.lakeshard.node.router;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The router's JSON bodies, field for field as the spec's worker answers. */
final class RouterBodies {
  private RouterBodies() {}

  /** 400: an x-backend that is unknown to the registry, malformed, or missing without a default. */
  record InvalidBackend(String error, String message, @JsonProperty("valid_backends") List<String> validBackends) {
    InvalidBackend(String message, List<String> validBackends) {
      this("Invalid Backend", message, validBackends);
    }
  }

  /** 400: an x-backend-location other than local or cloud. */
  record InvalidLocation(String error, String message, @JsonProperty("valid_locations") List<String> validLocations) {
    InvalidLocation(String message) {
      this("Invalid Backend Location", message, List.of("local", "cloud"));
    }
  }

  /** 503: the backend is marked unhealthy, or no connection to it could be made. */
  record Unavailable(String error, String message, String backend) {
    Unavailable(String message, String backend) {
      this("Backend Unavailable", message, backend);
    }
  }

  /** 504: no answer within the upstream timeout. */
  record GatewayTimeout(String error, String message) {
    GatewayTimeout(long seconds) {
      this("Gateway Timeout", "Backend did not respond within " + seconds + "s");
    }
  }

  /** 500: the router itself failed (logged); no detail reaches the client. */
  record InternalError(String error, String message) {}

  /** {@code GET /health}: the router's status, and whether this node is ready (its readiness checks). */
  record Health(String status, String version, String timestamp, @JsonProperty("node_ready") boolean nodeReady) {}

  /** {@code GET /backends}. */
  record Backends(List<BackendHealth> backends) {}

  /** One backend as {@code /backends} shows it (no credential); last_check and latency (ms) null before a check. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  record BackendHealth(String id, String name, String url, String health,
                       @JsonProperty("last_check") String lastCheck, Long latency) {}
}
