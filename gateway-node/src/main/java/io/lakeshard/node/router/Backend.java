package io.lakeshard.node.router;

import java.util.Optional;
import org.apache.pekko.http.javadsl.model.Uri;

/**
 * One upstream the router forwards to: its id (the {@code x-backend} value), display name, base
 * URL, type, health path and the credential the router adds to every request it forwards there.
 */
public record Backend(String id, String name, String url, String type, String healthPath,
                      Optional<Credential> credential) {
  public static final String DEFAULT_HEALTH_PATH = "/health";

  /**
   * A header the router sets on forwarded requests. Its value never leaves the router towards a
   * client or a log: toString hides it.
   */
  public record Credential(String header, String value) {
    @Override
    public String toString() {
      return "Credential[" + header + ": ***]";
    }
  }

  public Backend {
    if (!validId(id)) {
      throw new IllegalArgumentException("a backend id is 1 to 64 of [a-z0-9-], not '" + id + "'");
    }
    checkUrl(id, url);
    url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    if (!healthPath.startsWith("/")) {
      throw new IllegalArgumentException("backend " + id + ": the health path must start with /, not '" + healthPath + "'");
    }
  }

  /** The ids the router accepts, 1 to 64 of [a-z0-9-] (the spec's: bun-sqlite, java-spring-boot, ...); checked per request, so no regex. */
  public static boolean validId(String id) {
    if (id == null || id.isEmpty() || id.length() > 64) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * An absolute http(s) URL with a host, no query and no user info (a password in a URL would show
   * in /backends and logs: credentials have their own setting): what a request's path is appended
   * to. The error names the backend, not the URL, which may hold such a password.
   */
  private static void checkUrl(String id, String url) {
    String rule = "backend " + id + ": its URL must be http(s)://host[:port][/base], without user info or query";
    Uri uri;
    try {
      uri = Uri.create(url);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(rule);
    }
    if (!(uri.scheme().equals("http") || uri.scheme().equals("https")) || uri.host().address().isEmpty()
        || uri.rawQueryString().isPresent() || !uri.userInfo().isEmpty()) {
      throw new IllegalArgumentException(rule);
    }
  }
}
