package io.lakeshard.node.ddata;

import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.cluster.ddata.DurableStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Distributed Data's durable store (its {@link DurableStore} protocol) as one file per key in a
 * directory under the node's data dir, each replaced atomically (write, fsync, rename, fsync the
 * directory) before the replicator is told the value is stored. Pekko's own LmdbDurableStore
 * needs {@code --add-opens java.base/java.nio=ALL-UNNAMED} on Java 17: without it lmdbjava's first
 * use throws ExceptionInInitializerError, which Pekko treats as fatal and exits the JVM — every
 * launcher (scripts, image, tests, embedders) would have to remember the flag. Durable keys are
 * few (the claims versions' 1 024 shards, the router's cluster registry) and written rarely, so a
 * file each is enough. Every durable key of the node's replicator shares it (application.conf's
 * {@code durable.keys}).
 *
 * <p>A file holds the serializer id, the manifest and the bytes of the key's
 * {@code DurableDataEnvelope}, as Pekko's serialization writes it.
 */
public final class FileDurableStore extends AbstractActor {
  private static final Logger log = LoggerFactory.getLogger(FileDurableStore.class);
  private static final String SUFFIX = ".ddata";
  private static final String PARTIAL = ".partial";

  private final Path dir;

  /** Where earlier versions kept these files (empty: none); they are moved into {@link #dir} at start. */
  private final String legacyDir;
  private Serialization serialization;

  /**
   * {@code config}: the replicator's {@code durable} section; the directory is {@code file.dir},
   * an earlier one {@code file.legacy-dir}.
   */
  public FileDurableStore(Config config) {
    this.dir = Path.of(config.getString("file.dir"));
    this.legacyDir = config.getString("file.legacy-dir");
  }

  @Override
  public void preStart() throws IOException {
    serialization = SerializationExtension.get(getContext().getSystem());
    Files.createDirectories(dir);
    if (!legacyDir.isEmpty()) {
      adopt(Path.of(legacyDir));
    }
    log.info("durable distributed data in {}", dir.toAbsolutePath());
  }

  /**
   * Moves the key files an earlier version wrote to {@code legacy} (the claims versions' own
   * directory, before the router's registry shared the store) into {@link #dir}, then removes it.
   * A file already in {@link #dir} is newer and wins.
   */
  private void adopt(Path legacy) throws IOException {
    if (!Files.isDirectory(legacy)) {
      return;
    }
    int moved = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(legacy, "*" + SUFFIX)) {
      for (Path file : files) {
        Path target = dir.resolve(file.getFileName());
        if (!Files.exists(target)) {
          Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
          moved++;
        }
      }
    }
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    }
    try (DirectoryStream<Path> rest = Files.newDirectoryStream(legacy)) {
      for (Path file : rest) {
        Files.delete(file); // partial writes, and copies superseded by the files in dir
      }
    }
    Files.delete(legacy);
    log.info("moved {} durable distributed-data keys from {} to {}", moved, legacy.toAbsolutePath(), dir.toAbsolutePath());
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .matchEquals(DurableStore.LoadAll$.MODULE$, load -> loadAll())
        .match(DurableStore.Store.class, this::store)
        .build();
  }

  private void loadAll() {
    Map<String, DurableStore.DurableDataEnvelope> loaded = new HashMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.endsWith(SUFFIX)) {
          loaded.put(URLDecoder.decode(name.substring(0, name.length() - SUFFIX.length()), StandardCharsets.UTF_8),
              read(file));
        } else if (name.endsWith(PARTIAL)) {
          Files.delete(file); // a write cut short by a crash; the replicator never heard it stored
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new DurableStore.LoadFailed("failed to load durable distributed data from " + dir, e);
    }
    if (!loaded.isEmpty()) {
      getSender().tell(new DurableStore.LoadData(
          scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(loaded))), getSelf());
    }
    getSender().tell(DurableStore.LoadAllCompleted$.MODULE$, getSelf());
    log.info("loaded {} durable distributed-data keys", loaded.size());
  }

  private void store(DurableStore.Store store) {
    boolean stored;
    try {
      write(store.key(), store.data());
      stored = true;
    } catch (IOException | RuntimeException e) {
      log.error("failed to store durable distributed-data key {}", store.key(), e);
      stored = false;
    }
    if (store.reply().isDefined()) {
      DurableStore.StoreReply reply = store.reply().get();
      reply.replyTo().tell(stored ? reply.successMsg() : reply.failureMsg(), getSelf());
    }
  }

  private void write(String key, DurableStore.DurableDataEnvelope envelope) throws IOException {
    Serializer serializer = serialization.findSerializerFor(envelope);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(serializer.identifier());
      out.writeUTF(Serializers.manifestFor(serializer, envelope));
      out.write(serializer.toBinary(envelope));
    }
    String name = URLEncoder.encode(key, StandardCharsets.UTF_8);
    Path partial = dir.resolve(name + PARTIAL);
    Files.write(partial, bytes.toByteArray(), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
    Files.move(partial, dir.resolve(name + SUFFIX), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true); // the rename itself on disk
    }
  }

  private DurableStore.DurableDataEnvelope read(Path file) throws IOException {
    try (InputStream stream = Files.newInputStream(file); DataInputStream in = new DataInputStream(stream)) {
      int serializerId = in.readInt();
      String manifest = in.readUTF();
      byte[] payload = in.readAllBytes();
      return (DurableStore.DurableDataEnvelope) serialization.deserialize(payload, serializerId, manifest).get();
    }
  }
}
