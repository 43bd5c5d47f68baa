package io.lakeshard.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/** Config for entity tests: an in-memory journal and snapshot store, every message serialized as across nodes. */
public final class InMemoryPersistence {
  private InMemoryPersistence() {}

  public static Config config() {
    return config("");
  }

  /** With {@code overrides} (HOCON) on top. */
  public static Config config(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.parseString("pekko.actor.serialize-messages = on"))
        .withFallback(ConfigFactory.load());
  }
}
