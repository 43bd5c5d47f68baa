package io.lakeshard.core.eventstore;

import static io.lakeshard.core.eventstore.PushRuleTest.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeshard.core.HeldWrite;
import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.eventstore.EventStore.Accepted;
import io.lakeshard.core.eventstore.EventStore.BackendIdMismatch;
import io.lakeshard.core.eventstore.EventStore.Command;
import io.lakeshard.core.eventstore.EventStore.Info;
import io.lakeshard.core.eventstore.EventStore.LiveBatch;
import io.lakeshard.core.eventstore.EventStore.LiveUpdate;
import io.lakeshard.core.eventstore.EventStore.Page;
import io.lakeshard.core.eventstore.EventStore.PullNeeded;
import io.lakeshard.core.eventstore.EventStore.PullReply;
import io.lakeshard.core.eventstore.EventStore.PushReply;
import io.lakeshard.core.eventstore.EventStore.ServerAhead;
import io.lakeshard.core.eventstore.EventStore.Unavailable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The entity over an in-memory journal, every message serialized as between nodes. */
class EventStoreTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config(
      "lakeshard.entity.journal-backoff { min = 50ms, max = 200ms }"));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final SnapshotTestKit snapshots = SnapshotTestKit.create(testKit.system());
  private static final EventStoreSettings SETTINGS = EventStoreSettings.fromConfig(testKit.system().settings().config());
  private static final AtomicInteger names = new AtomicInteger();

  @BeforeEach
  void clearJournal() {
    journal.resetPolicy();
    journal.clearAll();
    snapshots.clearAll();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static ActorRef<Command> start(String storeId) {
    return start(storeId, SETTINGS);
  }

  private static ActorRef<Command> start(String storeId, EventStoreSettings settings) {
    return testKit.spawn(EventStore.create(storeId, settings, EventStoreFlushTest.NEVER, EventStoreFlushTest.NO_LAKE),
        storeId + "-" + names.incrementAndGet());
  }

  private static void stop(ActorRef<Command> store) {
    TestProbe<Object> watcher = testKit.createTestProbe();
    testKit.stop(store);
    watcher.expectTerminated(store, Duration.ofSeconds(10));
  }

  private static PushReply push(ActorRef<Command> store, Optional<String> backendId, LiveEvent... batch) {
    TestProbe<PushReply> reply = testKit.createTestProbe();
    store.tell(new EventStore.Push(List.of(batch), backendId, reply.ref()));
    return reply.receiveMessage(Duration.ofSeconds(10));
  }

  private static PushReply push(ActorRef<Command> store, LiveEvent... batch) {
    return push(store, Optional.empty(), batch);
  }

  private static PullReply pull(ActorRef<Command> store, long after, Optional<String> backendId) {
    TestProbe<PullReply> reply = testKit.createTestProbe();
    store.tell(new EventStore.Pull(after, backendId, reply.ref()));
    return reply.receiveMessage(Duration.ofSeconds(10));
  }

  private static Info info(ActorRef<Command> store) {
    TestProbe<Info> reply = testKit.createTestProbe();
    store.tell(new EventStore.GetInfo(reply.ref()));
    return reply.receiveMessage(Duration.ofSeconds(10));
  }

  /** Pushes {@code count} events after {@code head} in batches of up to 100. */
  private static void fill(ActorRef<Command> store, long head, int count) {
    for (long from = head; from < head + count; from += 100) {
      List<LiveEvent> batch = new ArrayList<>();
      for (long seq = from + 1; seq <= Math.min(head + count, from + 100); seq++) {
        batch.add(event(seq, seq - 1));
      }
      assertThat(push(store, batch.toArray(LiveEvent[]::new))).isEqualTo(new Accepted(batch.get(batch.size() - 1).seqNum()));
    }
  }

  private static List<Long> seqNums(List<StoredEvent> events) {
    return events.stream().map(StoredEvent::seqNum).toList();
  }

  @Test
  void aNewStoreHasABackendIdAndAcceptsItsFirstEvents() {
    ActorRef<Command> store = start("first");

    Info empty = info(store);
    assertThat(empty.backendId()).hasSize(21).matches("[A-Za-z0-9_-]{21}");
    assertThat(empty.head()).isZero();
    assertThat(empty.lastFlush()).isEmpty();

    assertThat(push(store, Optional.of(empty.backendId()), event(1, 0), event(2, 1))).isEqualTo(new Accepted(2));
    assertThat(push(store, event(3, 2))).isEqualTo(new Accepted(3));
    Info after = info(store);
    assertThat(after.head()).isEqualTo(3);
    assertThat(after.events()).isEqualTo(3);
    assertThat(after.backendId()).isEqualTo(empty.backendId());
  }

  @Test
  void refusesBatchesBehindAheadBrokenOrOfAnotherBackend() {
    ActorRef<Command> store = start("refusals");
    fill(store, 0, 5);

    assertThat(push(store, event(5, 4))).isEqualTo(new ServerAhead(5, 4));
    assertThat(push(store, event(8, 7))).isEqualTo(new ServerAhead(5, 7));
    assertThat(push(store, event(6, 5), event(8, 7))).isEqualTo(new ServerAhead(5, 7));
    assertThat(push(store, Optional.of("not-this-store"), event(6, 5)))
        .isEqualTo(new BackendIdMismatch(info(store).backendId(), "not-this-store"));
    assertThat(push(store)).isEqualTo(new Accepted(5));
    assertThat(push(store, Optional.of("whatever"))).as("an empty batch is acknowledged unchecked")
        .isEqualTo(new Accepted(5));
    assertThat(info(store).head()).isEqualTo(5);
    assertThat(info(store).events()).isEqualTo(5);
  }

  @Test
  void pagesByCountWithWhatRemains() {
    ActorRef<Command> store = start("paging");
    fill(store, 0, 250);
    String backendId = info(store).backendId();

    Page first = (Page) pull(store, 0, Optional.empty());
    Page second = (Page) pull(store, 100, Optional.of(backendId));
    Page third = (Page) pull(store, 200, Optional.of(backendId));
    Page none = (Page) pull(store, 250, Optional.of(backendId));

    assertThat(List.of(first.events().size(), second.events().size(), third.events().size())).containsExactly(100, 100, 50);
    assertThat(List.of(first.remaining(), second.remaining(), third.remaining())).containsExactly(150L, 50L, 0L);
    assertThat(first.events().get(0).seqNum()).isEqualTo(1);
    assertThat(third.events().get(49).seqNum()).isEqualTo(250);
    assertThat(none.events()).isEmpty();
    assertThat(none.remaining()).isZero();
    assertThat(first.backendId()).isEqualTo(backendId);
    assertThat(first.events().get(0).json()).isEqualTo(EventJson.of(event(1, 0)));
  }

  @Test
  void pagesByEncodedBytes() {
    ActorRef<Command> store = start("bytes");
    String args = "\"" + "x".repeat(299_000) + "\"";
    for (int seq = 1; seq <= 4; seq++) {
      assertThat(push(store, new LiveEvent(seq, seq - 1, "big", args, "c", "s"))).isEqualTo(new Accepted(seq));
    }

    Page first = (Page) pull(store, 0, Optional.empty());
    Page second = (Page) pull(store, 3, Optional.empty());

    assertThat(seqNums(first.events())).containsExactly(1L, 2L, 3L);
    assertThat(first.remaining()).isEqualTo(1);
    assertThat(seqNums(second.events())).containsExactly(4L);
    assertThat(second.remaining()).isZero();
  }

  @Test
  void anEmptyStoreAnswersOneEmptyPageAndAWrongCursorIsAMismatch() {
    ActorRef<Command> store = start("empty");
    String backendId = info(store).backendId();

    assertThat(pull(store, 0, Optional.empty())).isEqualTo(new Page(List.of(), 0, backendId));
    assertThat(pull(store, 0, Optional.of("old-backend"))).isEqualTo(new BackendIdMismatch(backendId, "old-backend"));
  }

  @Test
  void theBackendIdAndTheLogSurviveARestart() {
    ActorRef<Command> store = start("restart");
    fill(store, 0, 3);
    String backendId = info(store).backendId();
    stop(store);

    ActorRef<Command> again = start("restart");

    Info info = info(again);
    assertThat(info.backendId()).isEqualTo(backendId);
    assertThat(info.head()).isEqualTo(3);
    assertThat(seqNums(((Page) pull(again, 0, Optional.of(backendId))).events())).containsExactly(1L, 2L, 3L);
    assertThat(push(again, event(4, 3))).isEqualTo(new Accepted(4));
  }

  @Test
  void recoversEveryUnflushedWriteFromTheJournalWithoutASnapshotByCount() {
    ActorRef<Command> store = start("no-snapshots");
    int writes = 600; // more than the 500 writes of the count-based snapshot this store no longer takes
    for (int seq = 1; seq <= writes; seq++) {
      assertThat(push(store, event(seq, seq - 1))).isEqualTo(new Accepted(seq));
    }
    String backendId = info(store).backendId();
    stop(store);
    assertThat(snapshots.persistedInStorage("EventStore|no-snapshots")).as("no snapshot before a flush").isEmpty();
    assertThat(journal.persistedInStorage("EventStore|no-snapshots")).as("the backendId and every write")
        .hasSize(writes + 1);

    ActorRef<Command> again = start("no-snapshots");

    assertThat(info(again).backendId()).isEqualTo(backendId);
    assertThat(info(again).head()).isEqualTo(writes);
    List<Long> recovered = new ArrayList<>();
    long after = 0;
    Page page;
    do {
      page = (Page) pull(again, after, Optional.of(backendId));
      recovered.addAll(seqNums(page.events()));
      after = recovered.isEmpty() ? 0 : recovered.get(recovered.size() - 1);
    } while (page.remaining() > 0);
    assertThat(recovered).containsExactlyElementsOf(LongStream.rangeClosed(1, writes).boxed().toList());
    assertThat(push(again, event(writes + 1, writes))).isEqualTo(new Accepted(writes + 1));
  }

  @Test
  void pushesDuringAWriteGoTogetherIntoTheNextEachCheckedAgainstTheHeadBefore() throws Exception {
    ActorRef<Command> store = start("group");
    info(store); // the backendId is journaled
    HeldWrite held = new HeldWrite("EventStore|group");
    journal.withPolicy(held);
    TestProbe<PushReply> replies = testKit.createTestProbe();

    store.tell(new EventStore.Push(List.of(event(1, 0)), Optional.empty(), replies.ref()));
    held.awaitHeld();
    store.tell(new EventStore.Push(List.of(event(2, 1), event(3, 2)), Optional.empty(), replies.ref()));
    store.tell(new EventStore.Push(List.of(event(3, 2)), Optional.empty(), replies.ref()));
    store.tell(new EventStore.Push(List.of(event(4, 3)), Optional.empty(), replies.ref()));
    try {
      // The store answers an empty batch itself: once it has, the three above wait in its queue.
      assertThat(push(store)).isEqualTo(new Accepted(0));
    } finally {
      held.release();
    }

    assertThat(replies.receiveSeveralMessages(4, Duration.ofSeconds(10)))
        .containsExactly(new Accepted(1), new Accepted(3), new ServerAhead(3, 2), new Accepted(4));
    List<Object> written = journal.persistedInStorage("EventStore|group");
    assertThat(written).hasSize(3); // the backendId, the first push, then the group of three
    assertThat(seqNums(((EventStoreLedger.EventsAppended) written.get(2)).events())).containsExactly(2L, 3L, 4L);
  }

  /** A push behind the head is refused at once, not after the write in flight (which only raises the head). */
  @Test
  void aPushBehindTheHeadIsRefusedWithoutWaitingForTheWriteInFlight() throws Exception {
    ActorRef<Command> store = start("behind");
    assertThat(push(store, event(1, 0))).isEqualTo(new Accepted(1));
    HeldWrite held = new HeldWrite("EventStore|behind");
    journal.withPolicy(held);
    TestProbe<PushReply> winner = testKit.createTestProbe();
    store.tell(new EventStore.Push(List.of(event(2, 1)), Optional.empty(), winner.ref()));
    held.awaitHeld();
    try {
      assertThat(push(store, event(1, 0))).isEqualTo(new ServerAhead(1, 0));
      winner.expectNoMessage(Duration.ofMillis(50)); // the write is still held
    } finally {
      held.release();
    }
    assertThat(winner.receiveMessage(Duration.ofSeconds(10))).isEqualTo(new Accepted(2));
    assertThat(push(store, event(2, 1))).isEqualTo(new ServerAhead(2, 1));
  }

  @Test
  void aSubscriberGetsEachBatchBeforeThePushReply() {
    ActorRef<Command> store = start("fanout");
    TestProbe<Object> session = testKit.createTestProbe();
    TestProbe<Object> other = testKit.createTestProbe();
    store.tell(new EventStore.Subscribe(session.ref().narrow(), 0));
    store.tell(new EventStore.Subscribe(other.ref().narrow(), 0));
    store.tell(new EventStore.Subscribe(session.ref().narrow(), 0)); // idempotent
    awaitSubscribers(store, 2);
    String backendId = info(store).backendId();

    store.tell(new EventStore.Push(List.of(event(1, 0), event(2, 1)), Optional.empty(), session.ref().narrow()));
    store.tell(new EventStore.Push(List.of(event(3, 2)), Optional.empty(), session.ref().narrow()));

    LiveBatch echo = session.expectMessageClass(LiveBatch.class);
    assertThat(echo.storeId()).isEqualTo("fanout");
    assertThat(echo.backendId()).isEqualTo(backendId);
    assertThat(seqNums(echo.events())).containsExactly(1L, 2L);
    assertThat(echo.events().get(0).createdAt()).isEqualTo(echo.events().get(1).createdAt());
    assertThat(session.receiveMessage()).isEqualTo(new Accepted(2));
    assertThat(seqNums(session.expectMessageClass(LiveBatch.class).events())).containsExactly(3L);
    assertThat(session.receiveMessage()).isEqualTo(new Accepted(3));
    assertThat(seqNums(other.expectMessageClass(LiveBatch.class).events())).containsExactly(1L, 2L);
    assertThat(seqNums(other.expectMessageClass(LiveBatch.class).events())).containsExactly(3L);
    other.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aSubscriberBehindGetsWhatItMissedThenLiveBatchesAlsoAfterARestart() {
    ActorRef<Command> store = start("resubscribe");
    TestProbe<LiveUpdate> session = testKit.createTestProbe();
    store.tell(new EventStore.Subscribe(session.ref(), 0));
    awaitSubscribers(store, 1);
    fill(store, 0, 2);
    assertThat(seqNums(((LiveBatch) session.receiveMessage()).events())).containsExactly(1L, 2L);
    stop(store);

    ActorRef<Command> again = start("resubscribe");
    fill(again, 2, 3); // pushed while the session is not attached
    again.tell(new EventStore.Subscribe(session.ref(), 2));

    assertThat(seqNums(((LiveBatch) session.receiveMessage()).events())).containsExactly(3L, 4L, 5L);
    fill(again, 5, 1);
    assertThat(seqNums(((LiveBatch) session.receiveMessage()).events())).containsExactly(6L);
    again.tell(new EventStore.Subscribe(session.ref(), 2)); // attached: a lagging cursor changes nothing
    fill(again, 6, 1);
    assertThat(seqNums(((LiveBatch) session.receiveMessage()).events())).containsExactly(7L);
    session.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aSubscriberTooFarBehindIsToldToPullAndIsNotAttached() {
    ActorRef<Command> store = start("far-behind");
    fill(store, 0, 150);
    TestProbe<LiveUpdate> session = testKit.createTestProbe();

    store.tell(new EventStore.Subscribe(session.ref(), 10));

    assertThat(session.receiveMessage()).isEqualTo(new PullNeeded("far-behind", info(store).backendId(), 10));
    assertThat(info(store).subscribers()).isZero();
    store.tell(new EventStore.Subscribe(session.ref(), 100));
    assertThat(seqNums(((LiveBatch) session.receiveMessage()).events())).hasSize(50).startsWith(101L).endsWith(150L);
    assertThat(info(store).subscribers()).isEqualTo(1);
  }

  @Test
  void aStoppedSubscriberIsDropped() {
    ActorRef<Command> store = start("dead-subscriber");
    ActorRef<LiveUpdate> subscriber = testKit.spawn(Behaviors.<LiveUpdate>receiveMessage(message -> Behaviors.same()));
    store.tell(new EventStore.Subscribe(subscriber, 0));
    awaitSubscribers(store, 1);

    testKit.stop(subscriber);

    awaitSubscribers(store, 0);
    assertThat(push(store, event(1, 0))).isEqualTo(new Accepted(1));
  }

  @Test
  void aFailedJournalWriteIsUnavailableAndTheRetryIsAccepted() {
    ActorRef<Command> store = start("journal-fails");
    info(store);
    journal.failNextPersisted("EventStore|journal-fails");

    assertThat(push(store, event(1, 0))).isInstanceOf(Unavailable.class);
    assertThat(push(store, event(1, 0))).isEqualTo(new Accepted(1));
    assertThat(info(store).head()).isEqualTo(1);
  }

  @Test
  void aCommandWithNobodyToAnswerCannotBeMade() {
    assertThatThrownBy(() -> new EventStore.Subscribe(null, 0)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new EventStore.Push(List.of(), Optional.empty(), null))
        .isInstanceOf(NullPointerException.class);
    assertThat(new EventStore.Push(null, null, testKit.<PushReply>createTestProbe().ref()).batch()).isEmpty();
  }

  private static void awaitSubscribers(ActorRef<Command> store, int count) {
    TestProbe<Info> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      store.tell(new EventStore.GetInfo(probe.ref()));
      assertThat(probe.receiveMessage().subscribers()).isEqualTo(count);
      return null;
    });
  }
}
