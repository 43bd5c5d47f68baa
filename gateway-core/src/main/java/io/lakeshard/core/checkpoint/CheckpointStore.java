package io.lakeshard.core.checkpoint;

import io.lakeshard.core.buffer.DeltaBuffer.Accepted;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.flush.GatewayLake;
import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeException;
import io.lakeshard.protocol.v1.SyncResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gateway checkpoints in the object store, in LakeSync's layout: {@code checkpoints/{gw}/manifest.json}
 * and chunk objects, each one protobuf {@code SyncResponse} (the rows as INSERT deltas,
 * {@code serverHlc} the snapshot stamp, {@code hasMore} false) of about {@code chunkBytes}.
 *
 * <p>Where the rows come from: a gateway's row index holds only who last wrote each column, not
 * the values, and its buffer only what is unflushed; the values of flushed rows are in the lake.
 * So a checkpoint is the previous checkpoint's rows, plus the flushed deltas stamped after it
 * (read from the Iceberg tables page by page), plus the buffered ones up to the snapshot stamp,
 * folded into the latest version of each row ({@link LatestRows}). The cost of a checkpoint is
 * then the gateway's rows plus what changed since the last one, not its whole history. The rows
 * are held in memory while a checkpoint is written (off the actor); serving reads one chunk at a
 * time.
 *
 * <p>Each checkpoint's chunks go to a new folder named by its snapshot stamp, and the manifest is
 * written last, so a download never sees a half-written checkpoint; the previous checkpoint's
 * chunks are kept (a download may be reading them) and older ones deleted. The manifest is the
 * record of the latest checkpoint: after a restart, on any node, it is read from the store.
 */
public final class CheckpointStore implements CheckpointWriter {
  private static final Logger log = LoggerFactory.getLogger(CheckpointStore.class);
  private static final String MANIFEST = "manifest.json";
  /** Flushed deltas are read and folded this many at a time. */
  private static final int LAKE_PAGE = 10_000;
  /** A delta's field tag and length prefix inside its SyncResponse, at most. */
  private static final int DELTA_FRAMING_BYTES = 6;

  private final LakeAdapter store;
  private final GatewayLake lake;
  private final long chunkBytes;

  public CheckpointStore(LakeAdapter store, GatewayLake lake, long chunkBytes) {
    this.store = store;
    this.lake = lake;
    this.chunkBytes = chunkBytes;
  }

  /** The gateway's latest checkpoint, if it has one. */
  public Optional<CheckpointManifest> latest(String gatewayId) throws LakeException, IOException {
    try {
      return Optional.of(CheckpointManifest.fromJson(store.get(folder(gatewayId) + MANIFEST)));
    } catch (LakeException.NotFound e) {
      return Optional.empty();
    }
  }

  /** One chunk a manifest names: the protobuf SyncResponse bytes. */
  public byte[] chunk(String gatewayId, String chunk) throws LakeException {
    return store.get(folder(gatewayId) + chunk);
  }

  @Override
  public CheckpointManifest write(CheckpointSource source) throws Exception {
    String gatewayId = source.gatewayId();
    Optional<CheckpointManifest> previous = latest(gatewayId);
    long since = previous.map(CheckpointManifest::snapshotStamp).orElse(0L);
    int order = Long.compareUnsigned(since, source.snapshotStamp());
    if (previous.isPresent() && order == 0) {
      return previous.get(); // nothing was accepted since: it is still the latest
    }
    LatestRows rows = new LatestRows();
    if (order > 0) {
      // An earlier stamp than the latest checkpoint's (a sharded gateway's common one, below what
      // this shard wrote before), whose rows may hold later changes: rebuilt from the lake.
      since = 0;
    } else if (previous.isPresent() && !foldPrevious(gatewayId, previous.get(), rows)) {
      rows = new LatestRows();
      since = 0; // its chunks are gone: rebuilt from every flushed delta instead
    }
    foldFlushed(source, since, rows);
    for (Accepted accepted : source.buffered()) {
      if (Long.compareUnsigned(accepted.stamp(), since) > 0
          && Long.compareUnsigned(accepted.stamp(), source.snapshotStamp()) <= 0) {
        rows.apply(accepted.delta());
      }
    }
    CheckpointManifest manifest = writeChunks(gatewayId, source.snapshotStamp(), rows);
    store.put(folder(gatewayId) + MANIFEST, manifest.toJson(), "application/json");
    removeOlder(gatewayId, manifest, previous);
    return manifest;
  }

  /** Folds the rows of {@code manifest}'s chunks; false when one of them is missing from the store. */
  private boolean foldPrevious(String gatewayId, CheckpointManifest manifest, LatestRows rows) throws Exception {
    for (String chunk : manifest.chunks()) {
      byte[] bytes;
      try {
        bytes = chunk(gatewayId, chunk);
      } catch (LakeException.NotFound e) {
        log.warn("gateway {}: chunk {} of checkpoint {} is missing; rebuilding from the lake", gatewayId, chunk,
            manifest.snapshotHlc());
        return false;
      }
      WireDeltas.fromWire(SyncResponse.parseFrom(bytes).getDeltasList()).forEach(rows::apply);
    }
    return true;
  }

  /** The flushed deltas stamped in (since, flushedUpTo], page by page, in stamp order. */
  private void foldFlushed(CheckpointSource source, long since, LatestRows rows) throws Exception {
    long cursor = since;
    while (Long.compareUnsigned(cursor, source.flushedUpTo()) < 0) {
      List<Accepted> page = lake.read(source.gatewayId(), source.tables(), cursor, source.flushedUpTo(), LAKE_PAGE);
      page.forEach(accepted -> rows.apply(accepted.delta()));
      if (page.size() <= LAKE_PAGE) {
        return; // the read holds one more than a page when more follow
      }
      cursor = page.get(page.size() - 1).stamp();
    }
  }

  private CheckpointManifest writeChunks(String gatewayId, long snapshot, LatestRows rows) throws LakeException {
    String generation = CheckpointManifest.generation(snapshot);
    List<String> chunks = new ArrayList<>();
    SyncResponse.Builder chunk = SyncResponse.newBuilder().setServerHlc(snapshot).setHasMore(false);
    long bytes = 0;
    for (Iterator<RowDelta> deltas = rows.deltas(); deltas.hasNext(); ) {
      io.lakeshard.protocol.v1.RowDelta wire = WireDeltas.toWire(deltas.next());
      chunk.addDeltas(wire);
      bytes += wire.getSerializedSize() + DELTA_FRAMING_BYTES;
      if (bytes >= chunkBytes) {
        chunks.add(putChunk(gatewayId, generation, chunks.size(), chunk));
        chunk.clearDeltas();
        bytes = 0;
      }
    }
    if (chunk.getDeltasCount() > 0) {
      chunks.add(putChunk(gatewayId, generation, chunks.size(), chunk));
    }
    return new CheckpointManifest(Long.toUnsignedString(snapshot), Instant.now().toString(), chunks.size(),
        rows.size(), List.copyOf(chunks));
  }

  private String putChunk(String gatewayId, String generation, int index, SyncResponse.Builder chunk)
      throws LakeException {
    String name = generation + String.format("chunk-%03d.bin", index);
    store.put(folder(gatewayId) + name, chunk.build().toByteArray(), "application/octet-stream");
    return name;
  }

  /**
   * Deletes every object of the gateway's checkpoints but the new one and the one before it (a
   * download that started earlier may be reading it). A failure is left for the next checkpoint,
   * which deletes whatever is older again.
   */
  private void removeOlder(String gatewayId, CheckpointManifest manifest, Optional<CheckpointManifest> previous) {
    String folder = folder(gatewayId);
    List<String> keep = new ArrayList<>(List.of(folder + MANIFEST, folder + CheckpointManifest.generation(manifest.snapshotStamp())));
    previous.ifPresent(before -> keep.add(folder + CheckpointManifest.generation(before.snapshotStamp())));
    try {
      List<String> older = store.list(folder).stream()
          .filter(key -> keep.stream().noneMatch(key::startsWith))
          .toList();
      store.deleteAll(older);
    } catch (LakeException e) {
      log.warn("gateway {}: older checkpoint objects stay until the next checkpoint: {}", gatewayId, e.toString());
    }
  }

  /**
   * {@code checkpoints/{gw}/}. The gateway ids {@code .} and {@code ..} are valid but would name
   * another folder, so their dots are escaped.
   */
  static String folder(String gatewayId) {
    String name = gatewayId.equals(".") || gatewayId.equals("..") ? gatewayId.replace(".", "%2E") : gatewayId;
    return "checkpoints/" + name + "/";
  }
}
