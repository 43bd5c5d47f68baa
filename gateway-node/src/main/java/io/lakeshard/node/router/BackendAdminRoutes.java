package io.lakeshard.node.router;

import static io.lakeshard.node.http.JsonErrors.NOT_FOUND;
import static io.lakeshard.node.http.JsonErrors.VALIDATION_ERROR;
import static io.lakeshard.node.http.JsonErrors.error;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.node.auth.NodeTokens;
import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.RequestBodies;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The cluster registry's admin routes on the main port (any admin token): {@code GET
 * admin/backends} (both registries as this node sees them, with this node's latest health check
 * of each, no credential values), {@code PUT
 * admin/backends/{id}} with {@code {"url", "name", "type", "health_path", "auth_header",
 * "auth_env"}} and {@code DELETE admin/backends/{id}}. A change is confirmed (200) once a majority
 * of the nodes hold it; 202 when that took longer than the write timeout (it still spreads).
 */
public final class BackendAdminRoutes extends AllDirectives {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final NodeTokens tokens;
  private final RequestBodies bodies;
  private final long maxBodyBytes;
  private final Map<String, Backend> local;
  private final ClusterBackends cluster;
  private final HealthCache health;

  public BackendAdminRoutes(NodeTokens tokens, RequestBodies bodies, long maxBodyBytes, RouterSettings settings,
                            ClusterBackends cluster, HealthCache health) {
    this.tokens = tokens;
    this.bodies = bodies;
    this.maxBodyBytes = maxBodyBytes;
    this.local = settings.localBackends();
    this.cluster = cluster;
    this.health = health;
  }

  /**
   * An entry as the admin routes show it: the credential's header and variable name, never its
   * value; its health as the router's {@code /backends} shows it (unknown while the router is off).
   */
  record Entry(String id, String name, String url, String type, String location,
               @JsonProperty("health_path") String healthPath, @JsonProperty("auth_header") String authHeader,
               @JsonProperty("auth_env") String authEnv, @JsonProperty("has_credential") boolean hasCredential,
               String health, @JsonProperty("last_check") String lastCheck, Long latency) {}

  record Listing(List<Entry> backends) {}

  record Changed(String id, boolean confirmed, Entry backend) {}

  public Route routes() {
    return pathPrefix("admin", () -> pathPrefix("backends", () -> concat(
        pathEndOrSingleSlash(() -> get(() -> tokens.admin(this::list))),
        path(id -> concat(
            put(() -> tokens.admin(() -> bodies.strict(maxBodyBytes, body -> put(id, body)))),
            delete(() -> tokens.admin(() -> delete(id))))))));
  }

  private Route list() {
    Instant now = Instant.now();
    List<Entry> entries = new ArrayList<>();
    local.values().forEach(backend -> {
      HealthCache.Shown shown = health.shown(backend, now);
      entries.add(new Entry(backend.id(), backend.name(), backend.url(), backend.type(), Location.LOCAL.wire(),
          backend.healthPath(), backend.credential().map(Backend.Credential::header).orElse(null), null,
          backend.credential().isPresent(), shown.health(), shown.lastCheck(), shown.latency()));
    });
    cluster.entries().values().forEach(entry -> entries.add(entry(entry)));
    entries.sort(Comparator.comparing(Entry::location).thenComparing(Entry::id));
    return JsonBodies.complete(StatusCodes.OK, new Listing(entries));
  }

  private Route put(String id, byte[] body) {
    RegisteredBackend entry;
    try {
      entry = parse(id, body);
    } catch (IllegalArgumentException e) {
      return error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR, e.getMessage());
    } catch (IOException e) {
      return error(StatusCodes.BAD_REQUEST, VALIDATION_ERROR, "the body is not JSON");
    }
    return onSuccess(cluster.put(entry), written -> changed(id, written, entry(entry)));
  }

  private Route delete(String id) {
    RegisteredBackend entry = cluster.entries().get(id);
    if (entry == null) {
      return error(StatusCodes.NOT_FOUND, NOT_FOUND, "no backend " + id + " in the cluster registry");
    }
    return onSuccess(cluster.remove(id), written -> changed(id, written, entry(entry)));
  }

  private static Route changed(String id, ClusterBackends.Written written, Entry entry) {
    boolean confirmed = written == ClusterBackends.Written.CONFIRMED;
    return JsonBodies.complete(confirmed ? StatusCodes.OK : StatusCodes.ACCEPTED, new Changed(id, confirmed, entry));
  }

  /** A cluster entry, with the health of the backend this node made of it (none yet: unknown). */
  private Entry entry(RegisteredBackend entry) {
    HealthCache.Shown shown = Optional.ofNullable(cluster.backends().get(entry.id()))
        .map(backend -> health.shown(backend, Instant.now())).orElse(HealthCache.Shown.UNCHECKED);
    return new Entry(entry.id(), entry.name(), entry.url(), entry.type(), Location.CLOUD.wire(), entry.healthPath(),
        entry.authEnv().isEmpty() ? null : entry.authHeader(), entry.authEnv().isEmpty() ? null : entry.authEnv(),
        !entry.authEnv().isEmpty(), shown.health(), shown.lastCheck(), shown.latency());
  }

  /** The body as an entry; every field but url is optional. */
  static RegisteredBackend parse(String id, byte[] body) throws IOException {
    if (!Backend.validId(id)) {
      throw new IllegalArgumentException("a backend id is 1 to 64 of [a-z0-9-], not '" + id + "'");
    }
    JsonNode json = MAPPER.readTree(body);
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object with at least \"url\"");
    }
    if (!json.path("url").isTextual()) {
      throw new IllegalArgumentException("\"url\" (a string) is required");
    }
    return new RegisteredBackend(id, text(json, "name", id), json.get("url").asText(), text(json, "type", "http"),
        text(json, "health_path", Backend.DEFAULT_HEALTH_PATH), text(json, "auth_header", LocalBackends.DEFAULT_AUTH_HEADER),
        text(json, "auth_env", ""));
  }

  private static String text(JsonNode json, String field, String fallback) {
    JsonNode value = json.get(field);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isTextual()) {
      throw new IllegalArgumentException("\"" + field + "\" must be a string");
    }
    return value.asText();
  }
}
