package io.lakeshard.core.eventstore;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.lakeshard.core.CborSerializable;

/**
 * An accepted event and when its batch was accepted ({@code createdAt}, epoch millis, one value
 * per batch, as LiveStore stamps a push). {@code json} is its wire encoding, made once when the
 * event is accepted (or recovered, or received from another node) and shared by every page and
 * live batch that carries it; it is not serialized (journal and remoting hold the fields).
 */
public record StoredEvent(LiveEvent event, long createdAt, @JsonIgnore EventJson json) implements CborSerializable {

  public StoredEvent {
    if (json == null) {
      json = EventJson.of(event);
    }
  }

  @JsonCreator
  public StoredEvent(@JsonProperty("event") LiveEvent event, @JsonProperty("createdAt") long createdAt) {
    this(event, createdAt, null);
  }

  public long seqNum() {
    return event.seqNum();
  }
}
