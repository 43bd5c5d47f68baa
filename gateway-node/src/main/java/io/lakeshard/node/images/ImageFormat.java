package io.lakeshard.node.images;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;

/**
 * The image formats an upload may be, told by their first bytes (the declared type and file name
 * are the client's word, not the content's), each with the extension its key gets and the type
 * it is served with.
 */
public enum ImageFormat {
  JPEG("jpg", MediaTypes.IMAGE_JPEG),
  PNG("png", MediaTypes.IMAGE_PNG),
  WEBP("webp", MediaTypes.IMAGE_WEBP),
  GIF("gif", MediaTypes.IMAGE_GIF);

  private static final byte[] JPEG_MAGIC = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  private static final byte[] GIF87 = "GIF87a".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] GIF89 = "GIF89a".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RIFF = "RIFF".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] WEBP_TAG = "WEBP".getBytes(StandardCharsets.US_ASCII);

  private final String extension;
  private final MediaType.Binary mediaType;

  ImageFormat(String extension, MediaType.Binary mediaType) {
    this.extension = extension;
    this.mediaType = mediaType;
  }

  public String extension() {
    return extension;
  }

  public MediaType.Binary mediaType() {
    return mediaType;
  }

  /** The format {@code data} is in, by its signature; empty for anything else. */
  public static Optional<ImageFormat> sniff(byte[] data) {
    if (startsWith(data, 0, JPEG_MAGIC)) {
      return Optional.of(JPEG);
    }
    if (startsWith(data, 0, PNG_MAGIC)) {
      return Optional.of(PNG);
    }
    if (startsWith(data, 0, GIF87) || startsWith(data, 0, GIF89)) {
      return Optional.of(GIF);
    }
    // RIFF, a 4-byte chunk size, then the form type.
    if (startsWith(data, 0, RIFF) && startsWith(data, 8, WEBP_TAG)) {
      return Optional.of(WEBP);
    }
    return Optional.empty();
  }

  /**
   * The format a stored key's extension names, case aside; {@code jpeg} too, as keys Work Squared
   * wrote took the uploaded file's own extension.
   */
  public static Optional<ImageFormat> ofExtension(String extension) {
    String lower = extension.toLowerCase(Locale.ROOT);
    if (lower.equals("jpeg")) {
      return Optional.of(JPEG);
    }
    return Arrays.stream(values()).filter(format -> format.extension.equals(lower)).findFirst();
  }

  private static boolean startsWith(byte[] data, int offset, byte[] signature) {
    return data.length >= offset + signature.length
        && Arrays.equals(data, offset, offset + signature.length, signature, 0, signature.length);
  }
}
