package io.lakeshard.core.buffer;

import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.RowVersion;
import io.lakeshard.core.paging.Pages;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A gateway's unflushed deltas: the log in acceptance order, the row index that LWW merges
 * against, and the recent deltaIds for dedupe. Both the index and the ids hold every buffered
 * delta's, plus the most recently flushed up to a window each, so a long-lived gateway's memory
 * (and each snapshot) stays bounded. Mutable; owned by one entity.
 *
 * <p>A row past its window is forgotten as LakeSync's gateway forgets every row at a flush (it
 * drains its index): the row's next delta merges against nothing and is accepted whole, even
 * when it is older than the row's flushed writers.
 */
public final class DeltaBuffer {

  /** A delta as accepted: {@code stamp} is the gateway's acceptance stamp, strictly increasing. */
  public record Accepted(RowDelta delta, long stamp) {}

  /** One page of a pull. */
  public record Page(List<Accepted> deltas, boolean hasMore) {}

  private final List<Accepted> log;
  /** In order of each row's last write: the unflushed rows are the newest, the next to forget the oldest. */
  private final LinkedHashMap<String, RowVersion> rows;
  private final DeltaIdWindow seenDeltaIds;
  /** How many of the newest ids in the window were admitted and their deltas not yet appended. */
  private int admittedAhead;
  private long bytes;

  public DeltaBuffer() {
    this(List.of(), Map.of(), new DeltaIdWindow());
  }

  /**
   * A buffer as a snapshot held it, {@code rows} oldest write first. Snapshots of earlier versions
   * held them unordered, so the buffered deltas' rows are moved to the newest end again.
   */
  public DeltaBuffer(List<Accepted> log, Map<String, RowVersion> rows, DeltaIdWindow seenDeltaIds) {
    this.log = new ArrayList<>(log);
    this.rows = new LinkedHashMap<>(rows);
    this.seenDeltaIds = seenDeltaIds;
    for (Accepted accepted : log) {
      bytes += accepted.delta().sizeBytes();
      RowVersion row = this.rows.remove(accepted.delta().rowKey());
      if (row != null) {
        this.rows.put(accepted.delta().rowKey(), row);
      }
    }
  }

  /**
   * Marks {@code deltaId} seen ahead of its delta's {@link #append}, checking and inserting in one
   * lookup: false (and no change) when it was seen already. Every admitted delta must be appended
   * next, in the order admitted, before anything else changes the buffer; its append then skips
   * the window, where an append of a delta not admitted (a replayed one) adds its id.
   */
  public boolean admit(String deltaId) {
    boolean added = seenDeltaIds.addIfAbsent(deltaId);
    if (added) {
      admittedAhead++;
    }
    return added;
  }

  public RowVersion row(String rowKey) {
    return rows.getOrDefault(rowKey, RowVersion.ABSENT);
  }

  /** Appends a delta that won its merge, {@code rowKey} being its {@code rowKey()}; stamps must increase. */
  public void append(Accepted accepted, String rowKey, RowVersion rowAfter) {
    if (!log.isEmpty() && Long.compareUnsigned(accepted.stamp(), lastStamp()) <= 0) {
      throw new IllegalStateException("stamp " + accepted.stamp() + " not after " + lastStamp());
    }
    log.add(accepted);
    rows.remove(rowKey); // so it goes to the newest end
    rows.put(rowKey, rowAfter);
    if (admittedAhead > 0) {
      admittedAhead--;
    } else {
      seenDeltaIds.addIfAbsent(accepted.delta().deltaId());
    }
    bytes += accepted.delta().sizeBytes();
  }

  /** Every delta stamped up to {@code upTo}, oldest first: what a flush writes. */
  public List<Accepted> through(long upTo) {
    return List.copyOf(log.subList(0, firstAfter(upTo)));
  }

  /**
   * Forgets the deltas stamped up to {@code upTo} once they are in the lake, every flushed
   * deltaId but the latest {@code dedupeWindow}, and every row but the latest {@code rowWindow}
   * written plus one per buffered delta. The buffered deltas' rows are the newest, so they (and
   * their deltaIds) are always kept.
   */
  public void dropThrough(long upTo, int dedupeWindow, int rowWindow) {
    List<Accepted> flushed = log.subList(0, firstAfter(upTo));
    for (Accepted accepted : flushed) {
      bytes -= accepted.delta().sizeBytes();
    }
    flushed.clear();
    seenDeltaIds.retainNewest(Math.max(dedupeWindow, log.size()));
    Iterator<RowVersion> oldest = rows.values().iterator();
    for (long extra = rows.size() - ((long) rowWindow + log.size()); extra > 0; extra--) {
      oldest.next();
      oldest.remove();
    }
  }

  /** Deltas stamped after {@code since}, oldest first, at most {@code limit}. */
  public Page since(long since, int limit) {
    int from = firstAfter(since);
    int to = from + Math.min(limit, log.size() - from); // from + limit may overflow an int
    return new Page(List.copyOf(log.subList(from, to)), to < log.size());
  }

  private int firstAfter(long stamp) {
    return Pages.firstAfter(log, accepted -> Long.compareUnsigned(accepted.stamp(), stamp));
  }

  /** The stamp of the oldest unflushed delta, 0 when empty. */
  public long oldestStamp() {
    return log.isEmpty() ? 0L : log.get(0).stamp();
  }

  public List<Accepted> log() {
    return List.copyOf(log);
  }

  /** The row index, oldest write first, as the constructor takes it. */
  public Map<String, RowVersion> rows() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(rows));
  }

  /** The window's ids, oldest first, as {@link DeltaIdWindow#toBytes()} writes them. */
  public byte[] seenDeltaIds() {
    return seenDeltaIds.toBytes();
  }

  public long lastStamp() {
    return log.isEmpty() ? 0L : log.get(log.size() - 1).stamp();
  }

  public int size() {
    return log.size();
  }

  public int rowCount() {
    return rows.size();
  }

  public long bytes() {
    return bytes;
  }
}
