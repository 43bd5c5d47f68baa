package io.lakeshard.node.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * The one segment store of an actor system, opened at first use (the node opens it at start,
 * before any entity) from {@code segment-journal}, after copying over an H2 journal's events on
 * the data dir's first start with it; closed when the system terminates. The journal plugin and
 * the readiness check share it.
 */
public final class SegmentJournals extends AbstractExtensionId<SegmentJournals.Opened> implements ExtensionIdProvider {
  public static final SegmentJournals ID = new SegmentJournals();
  /** The plugin's id (its config path). */
  public static final String PLUGIN_ID = "segment-journal";

  public static SegmentStore store(ActorSystem system) {
    return ID.get(system).store;
  }

  @Override
  public SegmentJournals lookup() {
    return ID;
  }

  @Override
  public Opened createExtension(ExtendedActorSystem system) {
    SegmentJournalSettings settings = SegmentJournalSettings.fromConfig(system.settings().config().getConfig(PLUGIN_ID));
    try {
      JdbcJournalMigration.runIfNeeded(settings);
      SegmentStore store = SegmentStore.open(settings);
      system.registerOnTermination(store::close);
      return new Opened(store);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the journal under " + settings.dir() + ": " + e.getMessage(), e);
    }
  }

  public record Opened(SegmentStore store) implements Extension {}
}
