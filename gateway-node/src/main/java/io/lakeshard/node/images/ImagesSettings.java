package io.lakeshard.node.images;

import com.typesafe.config.Config;
import java.util.Optional;

/**
 * The image routes' settings, from {@code lakeshard.images} (application.conf).
 *
 * @param publicBase where uploaded images are read from, the answer's {@code url} being
 *                   {@code publicBase/key}; empty: this node's own {@code /api/images} on the
 *                   host the upload was sent to
 * @param maxBytes   the largest image an upload may carry
 */
public record ImagesSettings(Optional<String> publicBase, long maxBytes) {
  public ImagesSettings {
    publicBase = publicBase.map(base -> base.replaceAll("/+$", "")).filter(base -> !base.isEmpty());
  }

  public static ImagesSettings fromConfig(Config config) {
    Config images = config.getConfig("lakeshard.images");
    return new ImagesSettings(Optional.of(images.getString("public-base")), images.getBytes("max-bytes"));
  }
}
