package io.lakeshard.node.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.scalatest.tools.Runner;

/**
 * Runs {@link SegmentJournalSpec} (Pekko's JournalSpec: writes, replays with bounds, deletion,
 * highest sequence number after deletion, rejection of events that do not serialize, atomic
 * writes of several events) with ScalaTest's runner: the build's tests are JUnit 5.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SegmentJournalTckTest {
  @Test
  void thePekkoJournalTckPasses() {
    boolean passed = Runner.run(new String[] {"-s", SegmentJournalSpec.class.getName(), "-oW"});
    assertThat(passed).as("JournalSpec on the segment journal (its report is in this test's output)").isTrue();
  }
}
