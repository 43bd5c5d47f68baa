package io.lakeshard.core.lake;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The lake in a local directory (embedded default). Keys are '/'-separated relative paths;
 * writes go to a temporary file that is then renamed, so a reader never sees half an object.
 */
public final class LocalLakeAdapter implements LakeAdapter {
  private static final String TEMP_SUFFIX = ".lakeshard-tmp";

  private final Path root;

  public LocalLakeAdapter(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public String uri() {
    String uri = root.toUri().toString();
    return uri.endsWith("/") ? uri : uri + "/";
  }

  @Override
  public void put(String key, byte[] data, String contentType) throws LakeException {
    Path target = resolve(key);
    try {
      Files.createDirectories(target.getParent());
      Path temp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
      Files.write(temp, data);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new LakeException.Transient("cannot write " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] get(String key) throws LakeException {
    try {
      return Files.readAllBytes(resolve(key));
    } catch (NoSuchFileException e) {
      throw new LakeException.NotFound(key);
    } catch (IOException e) {
      throw new LakeException.Transient("cannot read " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public InputStream open(String key) throws LakeException {
    try {
      return Files.newInputStream(resolve(key));
    } catch (NoSuchFileException e) {
      throw new LakeException.NotFound(key);
    } catch (IOException e) {
      throw new LakeException.Transient("cannot open " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ObjectInfo head(String key) throws LakeException {
    try {
      BasicFileAttributes attributes = Files.readAttributes(resolve(key), BasicFileAttributes.class);
      return new ObjectInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant());
    } catch (NoSuchFileException e) {
      throw new LakeException.NotFound(key);
    } catch (IOException e) {
      throw new LakeException.Transient("cannot stat " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> list(String prefix) throws LakeException {
    // From the folder the prefix names, not the whole lake; an entry that vanishes during the walk
    // (a temp file renamed by a concurrent put, an object deleted) is skipped: Files.walk threw
    // UncheckedIOException then, failing e.g. one shard's checkpoint while another wrote beside it.
    Path start = root.resolve(prefix.substring(0, prefix.lastIndexOf('/') + 1)).normalize();
    if (!start.startsWith(root) || !Files.isDirectory(start)) {
      return List.of();
    }
    List<String> keys = new ArrayList<>();
    try {
      Files.walkFileTree(start, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
          String key = root.relativize(file).toString().replace('\\', '/');
          if (attributes.isRegularFile() && key.startsWith(prefix) && !key.endsWith(TEMP_SUFFIX)) {
            keys.add(key);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
          if (e instanceof NoSuchFileException) {
            return FileVisitResult.CONTINUE;
          }
          throw e;
        }
      });
    } catch (IOException e) {
      throw new LakeException.Transient("cannot list " + prefix + ": " + e.getMessage(), e);
    }
    keys.sort(null);
    return keys;
  }

  @Override
  public void delete(String key) throws LakeException {
    try {
      Files.deleteIfExists(resolve(key));
    } catch (IOException e) {
      throw new LakeException.Transient("cannot delete " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void deleteAll(Collection<String> keys) throws LakeException {
    for (String key : keys) {
      delete(key);
    }
  }

  private Path resolve(String key) throws LakeException {
    if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
      throw new LakeException.Permanent("invalid object key '" + key + "'", null);
    }
    Path path = root.resolve(key).normalize();
    if (!path.startsWith(root) || path.equals(root)) {
      throw new LakeException.Permanent("object key '" + key + "' leaves the lake directory", null);
    }
    return path;
  }
}
