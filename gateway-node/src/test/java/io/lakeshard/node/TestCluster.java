package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** Three nodes in this JVM, formed by Cluster Bootstrap, sharing one journal, catalogue and lake under one dir. */
final class TestCluster {
  private TestCluster() {}

  /** Starts them with {@code overrides} on top of the cluster settings, and waits until all three are Up. */
  static List<LakeshardNode> start(Path dir, Map<String, ?> overrides) throws IOException {
    List<Integer> managementPorts = List.of(FreePorts.next(), FreePorts.next(), FreePorts.next());
    String endpoints = String.join(",", managementPorts.stream().map(port -> "127.0.0.1:" + port).toList());
    String journal = "jdbc:h2:file:" + dir.resolve("journal") + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
    List<LakeshardNode> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Map<String, Object> settings = new HashMap<>(Map.of(
          "lakeshard.cluster.discovery", "config",
          "lakeshard.cluster.endpoints", endpoints,
          "lakeshard.cluster.required-contact-points", 3,
          "lakeshard.management.port", managementPorts.get(i),
          "lakeshard.journal.url", journal,
          "lakeshard.catalogue.jdbc.url", "jdbc:h2:file:" + dir.resolve("catalogue") + ";DB_CLOSE_ON_EXIT=FALSE",
          "lakeshard.lake.dir", dir.resolve("lake").toString()));
      settings.putAll(overrides);
      nodes.add(TestNode.start(dir.resolve("node-" + i), settings));
    }
    TestProbe<Object> probe = TestProbe.create(nodes.get(0).system());
    probe.awaitAssert(Duration.ofSeconds(60), () -> {
      for (LakeshardNode node : nodes) {
        assertThat(Cluster.get(node.system()).state().getMembers())
            .filteredOn(member -> member.status() == MemberStatus.up()).hasSize(3);
      }
      return null;
    });
    return nodes;
  }

  static void stop(List<LakeshardNode> nodes) {
    for (LakeshardNode node : nodes) {
      node.stop().toCompletableFuture().join();
    }
  }
}
