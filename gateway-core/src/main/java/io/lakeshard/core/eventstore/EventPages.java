package io.lakeshard.core.eventstore;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts events into pages as LiveStore's {@code splitChunkBySize} cuts pull responses: at most
 * {@code maxEvents} events, and at most {@code maxBytes} of the PullResponse's JSON, counted
 * from each event's encoded size once ({@link EventJson#size()}) plus what the response adds per
 * event and per page, in linear time (LiveStore re-encodes the growing chunk per event).
 */
public final class EventPages {
  /** What a pull response adds around each event: its batch item with metadata, and a comma. */
  static final int ITEM_OVERHEAD = ("{\"eventEncoded\":,\"metadata\":{\"_tag\":\"Some\",\"value\":"
      + "{\"_tag\":\"SyncMessage.SyncMetadata\",\"createdAt\":\"2026-12-01T18:05:19.309Z\"}}},").length();
  /** What a pull response adds around its batch, at the longest (remaining up to 2^53, the backendId). */
  static final int PAGE_OVERHEAD = ("{\"batch\":[],\"pageInfo\":{\"_tag\":\"MoreKnown\",\"remaining\":9007199254740991},"
      + "\"backendId\":\"\"}").length() + BackendIds.LENGTH;

  private EventPages() {}

  /** Bytes a page holding only this event takes (an event that does not fit alone is refused at push). */
  static long pageBytesOf(EventJson json) {
    return PAGE_OVERHEAD + ITEM_OVERHEAD + (long) json.size();
  }

  /**
   * The end (exclusive) of the page starting at {@code from}: at least one event when there is
   * one, so a page always makes progress.
   */
  static int pageEnd(List<StoredEvent> events, int from, int maxEvents, long maxBytes) {
    long bytes = PAGE_OVERHEAD;
    int end = from;
    int last = Math.min(events.size(), from + Math.max(1, maxEvents));
    while (end < last) {
      bytes += ITEM_OVERHEAD + events.get(end).json().size();
      if (bytes > maxBytes && end > from) {
        break;
      }
      end++;
    }
    return end;
  }

  /** The events as consecutive pages (for a transport that sends a live batch as wire chunks). */
  public static List<List<StoredEvent>> split(List<StoredEvent> events, int maxEvents, long maxBytes) {
    List<List<StoredEvent>> pages = new ArrayList<>();
    int from = 0;
    while (from < events.size()) {
      int end = pageEnd(events, from, maxEvents, maxBytes);
      pages.add(events.subList(from, end));
      from = end;
    }
    return pages;
  }
}
