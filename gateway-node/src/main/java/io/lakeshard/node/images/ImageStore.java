package io.lakeshard.node.images;

import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeException;
import io.lakeshard.core.lake.OffActor;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** Images in the node's object store (the lake adapter), its blocking calls run off the HTTP threads. */
public final class ImageStore {
  private final LakeAdapter lake;
  private final OffActor offActor;

  public ImageStore(LakeAdapter lake, OffActor offActor) {
    this.lake = lake;
    this.offActor = offActor;
  }

  /** Stores {@code data} under a new key, which it answers once written. */
  public CompletionStage<ImageKey> put(ImageFormat format, byte[] data) {
    ImageKey key = ImageKey.fresh(format);
    return offActor.run(() -> {
      lake.put(key.path(), data, format.mediaType().toString());
      return key;
    });
  }

  /** The image's bytes; empty when there is none under {@code key}. */
  public CompletionStage<Optional<byte[]>> get(ImageKey key) {
    return offActor.run(() -> {
      try {
        return Optional.of(lake.get(key.path()));
      } catch (LakeException.NotFound e) {
        return Optional.empty();
      }
    });
  }
}
