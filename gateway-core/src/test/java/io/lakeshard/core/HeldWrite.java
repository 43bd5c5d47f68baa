package io.lakeshard.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.WriteEvents;

/** Holds the first journal write of one entity until the test releases it (on the journal's thread). */
public final class HeldWrite implements ProcessingPolicy<JournalOperation> {
  private final String persistenceId;
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  public HeldWrite(String persistenceId) {
    this.persistenceId = persistenceId;
  }

  @Override
  public ProcessingResult tryProcess(String id, JournalOperation operation) {
    if (id.equals(persistenceId) && operation instanceof WriteEvents && entered.getCount() > 0) {
      entered.countDown();
      try {
        released.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return ProcessingSuccess$.MODULE$;
  }

  public void awaitHeld() throws InterruptedException {
    assertThat(entered.await(10, TimeUnit.SECONDS)).as("the first write reached the journal").isTrue();
  }

  public void release() {
    released.countDown();
  }
}
