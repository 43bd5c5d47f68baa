package io.lakeshard.core.eventstore;

import com.typesafe.config.Config;
import io.lakeshard.core.retry.Backoff;

/**
 * Typed settings of the EventStore entity, from {@code lakeshard.livestore}, and the restart
 * backoff after a journal failure, from {@code lakeshard.entity.journal-backoff}.
 *
 * @param maxPushEvents     a push of more events is refused (LiveStore's MAX_PUSH_EVENTS_PER_REQUEST)
 * @param maxMessageBytes   a push whose events encode to more is refused (LiveStore's MAX_TRANSPORT_PAYLOAD_BYTES)
 * @param pageEvents        events in one pull page or live batch at most
 * @param pageBytes         encoded bytes of one page at most ({@link EventPages} counts them as LiveStore does)
 * @param maxGroupEvents    events in one journal write at most (group commit takes pushes up to this)
 * @param journalBackoff    restart backoff of the journal actor
 */
public record EventStoreSettings(int maxPushEvents, long maxMessageBytes, int pageEvents, long pageBytes,
                                 int maxGroupEvents, Backoff journalBackoff) {

  public static EventStoreSettings fromConfig(Config config) {
    Config livestore = config.getConfig("lakeshard.livestore");
    return new EventStoreSettings(
        livestore.getInt("max-push-events"),
        livestore.getBytes("max-message-bytes"),
        livestore.getInt("page.max-events"),
        livestore.getBytes("page.max-bytes"),
        livestore.getInt("group-commit.max-events"),
        Backoff.fromConfig(config.getConfig("lakeshard.entity.journal-backoff")));
  }
}
