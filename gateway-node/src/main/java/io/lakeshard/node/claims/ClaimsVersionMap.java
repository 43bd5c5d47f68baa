package io.lakeshard.node.claims;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.cluster.ddata.AbstractDeltaReplicatedData;
import org.apache.pekko.cluster.ddata.DeltaReplicatedData;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.ReplicatedDelta;

/**
 * A grow-only map userId → claims version, merged entry by entry by maximum: a join semilattice,
 * so replicas converge whatever the order, duplication or loss of merges, and no version ever goes
 * down. Ddata's own CRDTs do not fit: a GCounter sums per-node increments (two nodes raising a user
 * to 5 at once would make 10), an LWWMap takes the latest write (a late "3" would lower a 5), and
 * ORMap keeps a version vector per entry that a map that never removes does not need.
 *
 * <p>It is its own delta, as ddata's GSet is: a raise propagates the one changed entry, not the
 * whole map; max-merge is idempotent and commutative, so deltas need no causal delivery.
 */
public final class ClaimsVersionMap extends AbstractDeltaReplicatedData<ClaimsVersionMap, ClaimsVersionMap>
    implements ReplicatedDelta {
  public static final ClaimsVersionMap EMPTY = new ClaimsVersionMap(Map.of(), null);

  /** One of the fixed key shards the versions are spread over (see {@link ReplicatedClaimsVersions}). */
  public static final class ShardKey extends Key<ClaimsVersionMap> {
    public ShardKey(String id) {
      super(id);
    }
  }

  private final Map<String, Long> versions;
  private final ClaimsVersionMap delta;

  ClaimsVersionMap(Map<String, Long> versions, ClaimsVersionMap delta) {
    this.versions = versions;
    this.delta = delta;
  }

  /** The user's version, 0 without an entry. */
  public long version(String userId) {
    return versions.getOrDefault(userId, 0L);
  }

  /** Every entry, read-only. */
  public Map<String, Long> versions() {
    return versions;
  }

  /** This map with the user at least at {@code version}; the change is also this map's delta. */
  public ClaimsVersionMap raised(String userId, long version) {
    if (version <= version(userId)) {
      return this;
    }
    Map<String, Long> next = new HashMap<>(versions);
    next.put(userId, version);
    ClaimsVersionMap change = new ClaimsVersionMap(Map.of(userId, version), null);
    return new ClaimsVersionMap(Map.copyOf(next), delta == null ? change : delta.mergeData(change));
  }

  @Override
  public ClaimsVersionMap mergeData(ClaimsVersionMap that) {
    if (that.versions.isEmpty() || that == this) {
      return delta == null ? this : resetDelta();
    }
    Map<String, Long> merged = new HashMap<>(versions);
    that.versions.forEach((user, version) -> merged.merge(user, version, Math::max));
    return new ClaimsVersionMap(Map.copyOf(merged), null);
  }

  @Override
  public Optional<ClaimsVersionMap> deltaData() {
    return Optional.ofNullable(delta);
  }

  @Override
  public ClaimsVersionMap mergeDeltaData(ClaimsVersionMap that) {
    return mergeData(that);
  }

  @Override
  public ClaimsVersionMap resetDelta() {
    return delta == null ? this : new ClaimsVersionMap(versions, null);
  }

  @Override
  public DeltaReplicatedData zero() {
    return EMPTY;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ClaimsVersionMap map && map.versions.equals(versions);
  }

  @Override
  public int hashCode() {
    return versions.hashCode();
  }

  @Override
  public String toString() {
    return "ClaimsVersionMap(" + versions.size() + " users)";
  }
}
