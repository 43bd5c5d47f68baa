package io.lakeshard.core.stream;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Journals and snapshots written before the entity was split name their classes
 * {@code io.lakeshard.core.stream.Stream$...} (Jackson's manifest is the class name): each is
 * read as today's class of the same shape. Configured per old name under
 * {@code pekko.serialization.jackson.migrations} (reference.conf).
 */
public final class LegacyStreamNames extends JacksonMigration {
  private static final String OLD = "io.lakeshard.core.stream.Stream$";
  private static final Map<String, Class<?>> CURRENT = Map.ofEntries(
      Map.entry(OLD + "StreamCreated", StreamEvent.StreamCreated.class),
      Map.entry(OLD + "MessageAppended", StreamEvent.MessageAppended.class),
      Map.entry(OLD + "StreamClosed", StreamEvent.StreamClosed.class),
      Map.entry(OLD + "StreamDeleted", StreamEvent.StreamDeleted.class),
      Map.entry(OLD + "StreamSoftDeleted", StreamEvent.StreamSoftDeleted.class),
      Map.entry(OLD + "ForkAttached", StreamEvent.ForkAttached.class),
      Map.entry(OLD + "ForkDetached", StreamEvent.ForkDetached.class),
      Map.entry(OLD + "SegmentSealed", StreamEvent.SegmentSealed.class),
      // The snapshot had its own record; its fields are StreamState's.
      Map.entry(OLD + "Snapshot", StreamState.class));

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    Class<?> current = CURRENT.get(className);
    if (current == null) {
      throw new IllegalArgumentException("no current class for " + className);
    }
    return current.getName();
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    return json;
  }
}
