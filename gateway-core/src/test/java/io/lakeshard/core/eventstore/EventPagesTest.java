package io.lakeshard.core.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventPagesTest {

  private static List<StoredEvent> events(int count, int argsBytes) {
    List<StoredEvent> events = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      events.add(new StoredEvent(new LiveEvent(i, i - 1, "e", "\"" + "x".repeat(argsBytes) + "\"", "c", "s"), 1L));
    }
    return events;
  }

  @Test
  void cutsByCount() {
    List<StoredEvent> events = events(250, 10);

    assertThat(EventPages.split(events, 100, 900_000)).extracting(List::size).containsExactly(100, 100, 50);
  }

  @Test
  void cutsByTheEncodedBytesOfTheResponse() {
    List<StoredEvent> events = events(10, 299_000);
    long oneItem = EventPages.ITEM_OVERHEAD + events.get(0).json().size();

    List<List<StoredEvent>> pages = EventPages.split(events, 100, 900_000);

    assertThat(pages).extracting(List::size).containsExactly(3, 3, 3, 1);
    assertThat(EventPages.PAGE_OVERHEAD + 3 * oneItem).isLessThanOrEqualTo(900_000);
    assertThat(EventPages.PAGE_OVERHEAD + 4 * oneItem).isGreaterThan(900_000);
  }

  @Test
  void aPageAlwaysHoldsOneEventAndStartsWhereAsked() {
    List<StoredEvent> events = events(3, 2_000);

    assertThat(EventPages.pageEnd(events, 1, 100, 10)).isEqualTo(2);
    assertThat(EventPages.pageEnd(events, 3, 100, 900_000)).isEqualTo(3);
    assertThat(EventPages.pageEnd(events, 0, 0, 900_000)).isEqualTo(1);
  }

  @Test
  void theOverheadsMatchARealPullResponse() {
    StoredEvent event = events(1, 5).get(0);
    String item = "{\"eventEncoded\":" + event.json().text() + ",\"metadata\":{\"_tag\":\"Some\",\"value\":"
        + "{\"_tag\":\"SyncMessage.SyncMetadata\",\"createdAt\":\"2026-12-01T18:05:19.309Z\"}}}";
    String response = "{\"batch\":[" + item + "],\"pageInfo\":{\"_tag\":\"MoreKnown\",\"remaining\":9007199254740991},"
        + "\"backendId\":\"3QcnOq0LF8ZJ5PYUDrnfi\"}";

    // the last item has no comma after it: a page counts one byte more than it takes
    assertThat(EventPages.pageBytesOf(event.json())).isEqualTo(response.length() + 1);
  }
}
