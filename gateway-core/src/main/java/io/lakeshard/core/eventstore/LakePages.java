package io.lakeshard.core.eventstore;

import io.lakeshard.core.eventstore.EventStore.Page;
import java.util.ArrayList;
import java.util.List;

/**
 * A pull page from a cursor below the in-memory tail: the flushed events the lake returned,
 * topped up from memory when the lake held nothing more (and no flush moved the tail since the
 * read), cut as every page is ({@link EventPages}).
 */
final class LakePages {
  private LakePages() {}

  /**
   * {@code flushed}: the lake's events after the cursor, at most a page; {@code tailIntact}:
   * no flush committed since the read began, so memory continues where the lake stopped.
   */
  static Page page(long afterSeqNum, List<StoredEvent> flushed, boolean tailIntact, EventLog log, FlushPoint point,
                   String backendId, EventStoreSettings settings) {
    List<StoredEvent> events = new ArrayList<>(flushed);
    if (tailIntact && events.size() < settings.pageEvents()) {
      long last = events.isEmpty() ? afterSeqNum : events.get(events.size() - 1).seqNum();
      List<StoredEvent> memory = log.events();
      int from = log.indexAfter(last);
      events.addAll(memory.subList(from, Math.min(memory.size(), from + settings.pageEvents() - events.size())));
    }
    int end = EventPages.pageEnd(events, 0, settings.pageEvents(), settings.pageBytes());
    List<StoredEvent> page = List.copyOf(events.subList(0, end));
    long last = page.isEmpty() ? afterSeqNum : page.get(page.size() - 1).seqNum();
    long remaining = point.eventsAfter(last) + log.size() - log.indexAfter(last);
    return new Page(page, remaining, backendId);
  }
}
