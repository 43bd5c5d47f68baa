package io.lakeshard.node.images;

import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeException;
import io.lakeshard.core.lake.OffActor;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;

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

  /**
   * The image's size and its bytes as a source that opens the object only when run (on Pekko's
   * blocking-I/O dispatcher), so an answer never sent holds no connection to the store; empty when
   * there is none under {@code key}.
   */
  public CompletionStage<Optional<Stored>> find(ImageKey key) {
    return offActor.run(() -> {
      try {
        long size = lake.head(key.path()).size();
        return Optional.of(new Stored(size, StreamConverters.fromInputStream(() -> lake.open(key.path()))));
      } catch (LakeException.NotFound e) {
        return Optional.empty();
      }
    });
  }

  /** A stored image: its size in bytes and its bytes. */
  public record Stored(long size, Source<ByteString, ?> bytes) {}
}
