package io.lakeshard.core.stream;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/** Stream-Expires-At: an RFC 3339 / ISO 8601 timestamp with zone (or an HTTP date). */
public final class ExpiresAt {
  private static final List<DateTimeFormatter> ISO =
      List.of(DateTimeFormatter.ISO_OFFSET_DATE_TIME, DateTimeFormatter.ISO_ZONED_DATE_TIME);

  private ExpiresAt() {}

  public static Optional<Instant> parse(String value) {
    for (DateTimeFormatter format : ISO) {
      try {
        return Optional.of(OffsetDateTime.parse(value, format).toInstant());
      } catch (DateTimeParseException ignored) {
        // next format
      }
    }
    try {
      return Optional.of(ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
