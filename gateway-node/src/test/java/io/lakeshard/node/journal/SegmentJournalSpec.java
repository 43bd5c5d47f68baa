package io.lakeshard.node.journal;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;

/** Pekko's journal TCK on the segment journal, in a fresh directory; run by {@link SegmentJournalTckTest}. */
public class SegmentJournalSpec extends JavaJournalSpec {
  public SegmentJournalSpec() {
    super(ConfigFactory.parseMap(Map.of(
        "pekko.persistence.journal.plugin", SegmentJournals.PLUGIN_ID,
        "segment-journal.class", SegmentJournal.class.getName(),
        "segment-journal.dir", freshDir(),
        "segment-journal.segment-bytes", "64KiB",
        "segment-journal.max-batch-bytes", "1MiB",
        "segment-journal.migrate-from.url", "",
        "segment-journal.migrate-from.user", "",
        "segment-journal.migrate-from.password", "")));
  }

  /** AtomicWrites of several events are written whole. */
  @Override
  public boolean supportsAtomicPersistAllOfSeveralEvents() {
    return true;
  }

  /** Under target/, which the build cleans. */
  private static String freshDir() {
    return Path.of("target", "segment-journal-tck-" + UUID.randomUUID(), "segments").toAbsolutePath().toString();
  }
}
