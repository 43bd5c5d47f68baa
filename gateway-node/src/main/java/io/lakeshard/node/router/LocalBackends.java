package io.lakeshard.node.router;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local registry, read once at start: {@code BACKEND_<ID>_URL} environment variables (as the
 * spec's worker reads them; {@code BACKEND_BUN_SQLITE_URL} is {@code bun-sqlite}) over the
 * entries of {@code lakeshard.router.backends} and of the backends file (name, URL, type, health
 * path, credential). A credential comes from a secret file or a variable, never from a request.
 */
final class LocalBackends {
  private static final Pattern URL_VARIABLE = Pattern.compile("BACKEND_([A-Z0-9_]+)_URL");
  static final String DEFAULT_AUTH_HEADER = "Authorization";

  private LocalBackends() {}

  /** The backends by id; fails (at start) on an entry without a URL or an unreadable secret. */
  static Map<String, Backend> read(Config entries, Map<String, String> env) {
    Map<String, Config> byId = new TreeMap<>();
    for (String id : entries.root().keySet()) {
      byId.put(id, entries.getConfig(quoted(id)));
    }
    env.forEach((name, value) -> {
      Matcher matcher = URL_VARIABLE.matcher(name);
      if (matcher.matches()) {
        String id = matcher.group(1).toLowerCase(Locale.ROOT).replace('_', '-');
        Config fromEnv = ConfigFactory.parseMap(Map.of("url", value));
        byId.merge(id, fromEnv, (fromFile, url) -> url.withFallback(fromFile));
      }
    });
    Map<String, Backend> backends = new TreeMap<>();
    byId.forEach((id, entry) -> backends.put(id, backend(id, entry, env)));
    return Map.copyOf(backends);
  }

  /** The entries of a backends file (HOCON or JSON: {@code { "bun-sqlite": { url = ..., name = ... } }}). */
  static Config file(String path) {
    if (path.isEmpty()) {
      return ConfigFactory.empty();
    }
    if (!Files.isReadable(Path.of(path))) {
      throw new IllegalArgumentException("LAKESHARD_ROUTER_BACKENDS_FILE " + path + " is not readable");
    }
    return ConfigFactory.parseFile(Path.of(path).toFile()).resolve();
  }

  private static Backend backend(String id, Config entry, Map<String, String> env) {
    if (!entry.hasPath("url")) {
      throw new IllegalArgumentException("backend " + id + " has no url (BACKEND_"
          + id.toUpperCase(Locale.ROOT).replace('-', '_') + "_URL or url in the backends file)");
    }
    return new Backend(id, string(entry, "name", id), entry.getString("url"), string(entry, "type", "http"),
        string(entry, "health-path", Backend.DEFAULT_HEALTH_PATH), credential(id, entry, env));
  }

  /** From the entry's {@code auth} block, else {@code BACKEND_<ID>_AUTH_FILE} / {@code _AUTH} (and {@code _AUTH_HEADER}). */
  private static Optional<Backend.Credential> credential(String id, Config entry, Map<String, String> env) {
    String prefix = "BACKEND_" + id.toUpperCase(Locale.ROOT).replace('-', '_') + "_AUTH";
    String header = string(entry, "auth.header", env.getOrDefault(prefix + "_HEADER", DEFAULT_AUTH_HEADER));
    Optional<String> file = Optional.of(string(entry, "auth.file", env.getOrDefault(prefix + "_FILE", "")))
        .filter(path -> !path.isEmpty());
    if (file.isPresent()) {
      return Optional.of(new Backend.Credential(header, secretFile(id, file.get())));
    }
    String variable = string(entry, "auth.env", prefix);
    return Optional.ofNullable(env.get(variable)).filter(value -> !value.isEmpty())
        .map(value -> new Backend.Credential(header, value));
  }

  /** A secret file's content without its trailing newline; the error names the file, never its content. */
  private static String secretFile(String id, String path) {
    try {
      return Files.readString(Path.of(path), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("backend " + id + ": cannot read its credential file " + path, e);
    }
  }

  private static String string(Config entry, String path, String fallback) {
    return entry.hasPath(path) ? entry.getString(path) : fallback;
  }

  private static String quoted(String key) {
    return "\"" + key + "\"";
  }
}
