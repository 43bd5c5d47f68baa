package io.lakeshard.node.router;

import java.util.Locale;
import java.util.Optional;

/** Which registry answers: the node's own configuration, or the cluster's (the spec's key-value store). */
public enum Location {
  LOCAL,
  CLOUD;

  /** {@code local} or {@code cloud} (any case); empty for anything else. */
  public static Optional<Location> parse(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "local" -> Optional.of(LOCAL);
      case "cloud" -> Optional.of(CLOUD);
      default -> Optional.empty();
    };
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
