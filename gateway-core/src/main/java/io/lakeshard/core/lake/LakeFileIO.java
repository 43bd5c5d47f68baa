package io.lakeshard.core.lake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.NotFoundException;
import org.apache.iceberg.io.ByteBufferInputStream;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.io.SeekableInputStream;

/**
 * Iceberg's file access over a {@link LakeAdapter}, so data files, manifests and table metadata
 * go through the same store (local directory or S3/R2) and the same typed failures as everything
 * else. Objects are small (a flush is a few MiB), so reads and writes go through memory whole.
 * A failed call surfaces as an {@link UncheckedIOException} whose cause is the {@link LakeException}.
 */
public final class LakeFileIO implements FileIO {
  private static final String OCTET_STREAM = "application/octet-stream";

  private final transient LakeAdapter lake;
  private final String root;

  public LakeFileIO(LakeAdapter lake) {
    this.lake = lake;
    this.root = lake.uri();
  }

  /** The location of the object under {@code key}. */
  public String location(String key) {
    return root + key;
  }

  @Override
  public InputFile newInputFile(String location) {
    return new LakeInputFile(location, keyOf(location));
  }

  @Override
  public OutputFile newOutputFile(String location) {
    return new LakeOutputFile(location, keyOf(location));
  }

  @Override
  public void deleteFile(String location) {
    String key = keyOf(location);
    call(() -> {
      lake.delete(key);
      return null;
    });
  }

  private String keyOf(String location) {
    if (!location.startsWith(root)) {
      throw new IllegalArgumentException(location + " is outside the lake " + root);
    }
    return location.substring(root.length());
  }

  private interface LakeCall<T> {
    T run() throws LakeException;
  }

  private static <T> T call(LakeCall<T> call) {
    try {
      return call.run();
    } catch (LakeException.NotFound e) {
      throw new NotFoundException(e, "%s", e.getMessage());
    } catch (LakeException e) {
      throw new UncheckedIOException(new IOException(e.getMessage(), e));
    }
  }

  private final class LakeInputFile implements InputFile {
    private final String location;
    private final String key;
    private byte[] bytes;

    LakeInputFile(String location, String key) {
      this.location = location;
      this.key = key;
    }

    private byte[] bytes() {
      if (bytes == null) {
        bytes = call(() -> lake.get(key));
      }
      return bytes;
    }

    @Override
    public long getLength() {
      return bytes != null ? bytes.length : call(() -> lake.head(key)).size();
    }

    @Override
    public SeekableInputStream newStream() {
      return ByteBufferInputStream.wrap(ByteBuffer.wrap(bytes()));
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public boolean exists() {
      try {
        lake.head(key);
        return true;
      } catch (LakeException.NotFound e) {
        return false;
      } catch (LakeException e) {
        throw new UncheckedIOException(new IOException(e.getMessage(), e));
      }
    }
  }

  private final class LakeOutputFile implements OutputFile {
    private final String location;
    private final String key;

    LakeOutputFile(String location, String key) {
      this.location = location;
      this.key = key;
    }

    @Override
    public PositionOutputStream create() {
      if (toInputFile().exists()) {
        throw new AlreadyExistsException("%s already exists", location);
      }
      return createOrOverwrite();
    }

    @Override
    public PositionOutputStream createOrOverwrite() {
      return new PositionOutputStream() {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * 1024);
        private boolean closed;

        @Override
        public long getPos() {
          return buffer.size();
        }

        @Override
        public void write(int b) {
          buffer.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          buffer.write(b, off, len);
        }

        @Override
        public void close() {
          if (!closed) {
            closed = true;
            byte[] data = buffer.toByteArray();
            call(() -> {
              lake.put(key, data, OCTET_STREAM);
              return null;
            });
          }
        }
      };
    }

    @Override
    public String location() {
      return location;
    }

    @Override
    public InputFile toInputFile() {
      return newInputFile(location);
    }
  }
}
