package io.lakeshard.node.sync;

import io.lakeshard.core.checkpoint.CheckpointManifest;
import java.util.List;
import java.util.Optional;

/**
 * Which checkpoint a gateway serves, from the latest manifest of each of its entities (one, unless
 * it is sharded).
 *
 * <p>A sharded gateway is served only when every shard has a checkpoint at one snapshot stamp
 * (its shards write theirs together, at one stamp: {@code POST /v1/admin/checkpoint/{gw}}). Any
 * other set would break LakeSync's client, which downloads a checkpoint while its cursor is 0 and
 * then pulls from {@code X-Checkpoint-Hlc}: at a stamp above some shard's snapshot the pull misses
 * that shard's rows in between; at one below, it repeats rows the checkpoint holds, and the client
 * applies a repeated INSERT as a plain SQL insert on a row that exists, which fails its whole page
 * and keeps its cursor where it was, so it fails again on every pull. Without a checkpoint (404)
 * the client pulls from 0, which is always right.
 */
final class CheckpointSet {
  private CheckpointSet() {}

  sealed interface Choice {}

  /** Serve every entity's checkpoint, all at {@code snapshotHlc}. */
  record Serve(String snapshotHlc) implements Choice {}

  /** Serve none: why not. */
  record None(String reason) implements Choice {}

  /** {@code manifests}: each of {@code entityIds}' latest, in the same order. */
  static Choice of(String gatewayId, List<String> entityIds, List<Optional<CheckpointManifest>> manifests) {
    if (manifests.stream().allMatch(Optional::isEmpty)) {
      return new None("no checkpoint available for gateway " + gatewayId);
    }
    String snapshot = null;
    for (int i = 0; i < manifests.size(); i++) {
      Optional<CheckpointManifest> manifest = manifests.get(i);
      if (manifest.isEmpty() || snapshot != null && !snapshot.equals(manifest.get().snapshotHlc())) {
        return new None("the shards of gateway " + gatewayId + " have no checkpoint at one snapshot ("
            + entityIds.get(i) + (manifest.isEmpty() ? " has none" : " is at " + manifest.get().snapshotHlc()
            + ", not " + snapshot) + "); POST /v1/admin/checkpoint/" + gatewayId + " writes one; pull from 0");
      }
      snapshot = manifest.get().snapshotHlc();
    }
    return new Serve(snapshot);
  }
}
