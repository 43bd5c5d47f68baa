package io.lakeshard.node.journal;

/** What a segment holds, record by record ({@link SegmentFormat} lays them out). */
sealed interface JournalRecord {
  String persistenceId();

  /**
   * An event; {@code endsWrite} on the last event of its AtomicWrite. A write counts only whole:
   * events of a write whose last one is missing after a crash are dropped together.
   */
  record Event(StoredEvent event, boolean endsWrite) implements JournalRecord {
    @Override
    public String persistenceId() {
      return event.persistenceId();
    }
  }

  /** Every event of the persistence id up to {@code toSequenceNr} is deleted. */
  record Deletion(String persistenceId, long toSequenceNr) implements JournalRecord {}

  /**
   * A persistence id's state when its segment began. Each new segment starts with one per known
   * id, so removing an older segment (compaction) loses neither a deletion nor the highest
   * sequence number, which Pekko needs to survive deleting every event.
   */
  record Mark(String persistenceId, long highestSequenceNr, long deletedTo) implements JournalRecord {}
}
