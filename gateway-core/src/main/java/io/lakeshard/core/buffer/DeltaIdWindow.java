package io.lakeshard.core.buffer;

import io.lakeshard.core.Sha256;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The deltaIds a gateway has seen, oldest first, for dedupe: a first-in first-out set of 256-bit
 * ids held in primitive arrays, a ring in arrival order and an open-addressing table of ring
 * positions.
 *
 * <p>A gateway keeps up to {@code dedupe-window} (100 000) of them. As strings in a linked hash set
 * that was about 150 bytes and three objects per id for the collector to trace, and 6.6 MB of every
 * snapshot; here it is 48 to 80 bytes and no objects, and half the snapshot. A LakeSync deltaId is
 * the hex SHA-256 of its delta: those 256 bits are kept as they are, so two ids are equal exactly
 * when their bits are. Any other id is kept as the SHA-256 of its text.
 *
 * <p>A client picks its hex ids, so an id's slot and tag come from all 256 bits mixed with a seed
 * drawn per process: ids chosen to share a prefix or a word still spread over the table.
 */
public final class DeltaIdWindow {
  private static final int WORDS = 4;
  private static final int MIN_CAPACITY = 16;
  private static final long SEED = new SecureRandom().nextLong();

  /** Ids in arrival order, {@link #WORDS} longs each; the oldest at position {@code head}. */
  private long[] ring = new long[WORDS * MIN_CAPACITY];
  private int head;
  private int size;
  /**
   * Linear probing, at most half full; a slot holds its id's 32-bit tag in the high half and its
   * ring position + 1 in the low half; 0 when free. The tag is compared before the ring is read, so
   * a probe past other ids costs no cache miss in the ring, and its low bits are the id's home
   * slot, so moving or rebuilding entries never hashes an id again.
   */
  private long[] table = new long[2 * MIN_CAPACITY];

  /** A window as {@link #toBytes()} wrote it. */
  public static DeltaIdWindow fromBytes(byte[] ids) {
    DeltaIdWindow window = new DeltaIdWindow();
    ByteBuffer buffer = ByteBuffer.wrap(ids);
    long[] id = new long[WORDS];
    while (buffer.remaining() >= 8 * WORDS) {
      for (int w = 0; w < WORDS; w++) {
        id[w] = buffer.getLong();
      }
      window.add(id);
    }
    return window;
  }

  /** Every id, oldest first, 32 bytes each: how snapshots hold the window. */
  public byte[] toBytes() {
    ByteBuffer buffer = ByteBuffer.allocate(8 * WORDS * size);
    for (int i = 0; i < size; i++) {
      int at = position(i);
      for (int w = 0; w < WORDS; w++) {
        buffer.putLong(ring[WORDS * at + w]);
      }
    }
    return buffer.array();
  }

  public int size() {
    return size;
  }

  public boolean contains(String deltaId) {
    long[] id = bits(deltaId);
    return slotOf(id, tag(id, 0)) >= 0;
  }

  /**
   * Adds {@code deltaId} as the newest unless it is already in the window (then false, and no
   * change): the check and the insert are one probe of the table.
   */
  public boolean addIfAbsent(String deltaId) {
    return add(bits(deltaId));
  }

  /** Forgets the oldest ids until at most {@code newest} remain. */
  public void retainNewest(int newest) {
    while (size > newest) {
      removeFromTable(head);
      head = (head + 1) % capacity();
      size--;
    }
  }

  private int capacity() {
    return ring.length / WORDS;
  }

  /** The ring position of the i-th oldest id. */
  private int position(int i) {
    return (head + i) % capacity();
  }

  private boolean add(long[] id) {
    int tag = tag(id, 0);
    int found = slotOf(id, tag);
    if (found >= 0) {
      return false;
    }
    int free = -found - 1; // where the lookup ended
    if (size == capacity()) {
      growRing();
      free = freeSlotFrom(home(tag));
    }
    int at = position(size);
    System.arraycopy(id, 0, ring, WORDS * at, WORDS);
    size++;
    table[free] = entry(tag, at);
    if (2 * size > table.length) {
      rebuildTable(2 * table.length, 0, capacity());
    }
    return true;
  }

  /** Doubles the ring, oldest first from position 0; positions change, so the table is rebuilt. */
  private void growRing() {
    int oldHead = head;
    int oldCapacity = capacity();
    long[] grown = new long[2 * ring.length];
    for (int i = 0; i < size; i++) {
      System.arraycopy(ring, WORDS * position(i), grown, WORDS * i, WORDS);
    }
    ring = grown;
    head = 0;
    rebuildTable(table.length, oldHead, oldCapacity);
  }

  /**
   * Re-inserts every entry into a table of {@code slots}, from the tags the entries hold; a ring
   * position p becomes (p - oldHead) mod oldCapacity, the identity when the ring did not move.
   */
  private void rebuildTable(int slots, int oldHead, int oldCapacity) {
    long[] old = table;
    table = new long[slots];
    for (long entry : old) {
      if (entry != 0) {
        int tag = tagOf(entry);
        table[freeSlotFrom(home(tag))] = entry(tag, Math.floorMod(positionOf(entry) - oldHead, oldCapacity));
      }
    }
  }

  /** The high 32 bits of the seeded hash of the id at {@code base} in {@code words}. */
  private static int tag(long[] words, int base) {
    long h = SEED;
    for (int w = 0; w < WORDS; w++) {
      h = fmix64(h ^ words[base + w]);
    }
    return (int) (h >>> 32);
  }

  /** MurmurHash3's 64-bit finalizer: every input bit flips each output bit with probability ~1/2. */
  private static long fmix64(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  private int home(int tag) {
    return tag & (table.length - 1);
  }

  private static long entry(int tag, int at) {
    return (long) tag << 32 | (at + 1L);
  }

  private static int tagOf(long entry) {
    return (int) (entry >>> 32);
  }

  private static int positionOf(long entry) {
    return (int) entry - 1;
  }

  private boolean idAt(int at, long[] id) {
    int base = WORDS * at;
    return ring[base] == id[0] && ring[base + 1] == id[1] && ring[base + 2] == id[2] && ring[base + 3] == id[3];
  }

  /** The id's slot, or -(the free slot where its probe ended) - 1. */
  private int slotOf(long[] id, int tag) {
    int mask = table.length - 1;
    int slot = home(tag);
    for (; table[slot] != 0; slot = (slot + 1) & mask) {
      if (tagOf(table[slot]) == tag && idAt(positionOf(table[slot]), id)) {
        return slot;
      }
    }
    return -slot - 1;
  }

  private int freeSlotFrom(int slot) {
    int mask = table.length - 1;
    while (table[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  /** Removes ring position {@code at}, shifting later entries of its probe run back over the hole. */
  private void removeFromTable(int at) {
    int mask = table.length - 1;
    int hole = home(tag(ring, WORDS * at));
    while (positionOf(table[hole]) != at) {
      hole = (hole + 1) & mask;
    }
    for (int next = (hole + 1) & mask; table[next] != 0; next = (next + 1) & mask) {
      int home = home(tagOf(table[next]));
      // The entry at next stays unless the hole lies on its probe path, between its home and next.
      boolean homeAfterHole = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!homeAfterHole) {
        table[hole] = table[next];
        hole = next;
      }
    }
    table[hole] = 0;
  }

  /** The longest run of occupied slots: what a lookup may have to probe past. */
  int longestProbeRun() {
    int longest = 0;
    int run = 0;
    for (int pass = 0; pass < 2; pass++) { // twice round, for a run that wraps
      for (long slot : table) {
        run = slot == 0 ? 0 : run + 1;
        longest = Math.max(longest, Math.min(run, table.length));
      }
    }
    return longest;
  }

  /** A LakeSync id's 256 bits (64 lowercase hex digits), else the SHA-256 of the id's text. */
  static long[] bits(String deltaId) {
    if (deltaId.length() == 16 * WORDS) {
      long[] id = new long[WORDS];
      boolean hex = true;
      for (int i = 0; i < deltaId.length() && hex; i++) {
        char c = deltaId.charAt(i);
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        hex = digit >= 0;
        id[i / 16] = id[i / 16] << 4 | digit;
      }
      if (hex) {
        return id;
      }
    }
    ByteBuffer digest = ByteBuffer.wrap(Sha256.of(deltaId));
    return new long[] {digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong()};
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof DeltaIdWindow that && Arrays.equals(toBytes(), that.toBytes());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(toBytes());
  }
}
