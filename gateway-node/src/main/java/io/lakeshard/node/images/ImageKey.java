package io.lakeshard.node.images;

import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image's key in the object store, {@code covers/<name>.<ext>}: a new upload's name is a random
 * UUID. A key read from a URL must be exactly that shape — one plain name segment under
 * {@code covers/} — so no dot segment, encoded or backslashed path and no absolute path ever
 * reaches the store. {@code extension} is the key's own ({@code jpeg} and {@code JPG} name a JPEG too).
 */
public record ImageKey(String name, String extension, ImageFormat format) {
  public static final String PREFIX = "covers/";
  private static final Pattern REQUESTED = Pattern.compile("covers/([A-Za-z0-9_-]{1,128})\\.([A-Za-z]{3,4})");

  /** A key for a new upload. */
  public static ImageKey fresh(ImageFormat format) {
    return new ImageKey(UUID.randomUUID().toString(), format.extension(), format);
  }

  /** The key a request names ({@code covers/…}, as the URL has it, still encoded); empty if not a valid one. */
  public static Optional<ImageKey> parse(String requested) {
    Matcher matcher = REQUESTED.matcher(requested);
    if (!matcher.matches()) {
      return Optional.empty();
    }
    return ImageFormat.ofExtension(matcher.group(2)).map(format -> new ImageKey(matcher.group(1), matcher.group(2), format));
  }

  /** The object's key in the store. */
  public String path() {
    return PREFIX + name + "." + extension;
  }
}
