package io.lakeshard.core.action;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lakeshard.core.InMemoryPersistence;
import io.lakeshard.core.retry.Backoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The actions entity on an in-memory journal, every message serialized as across nodes. */
class GatewayActionsTest {
  private static final ActorTestKit testKit = ActorTestKit.create(InMemoryPersistence.config());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final ActionSettings SETTINGS = new ActionSettings(100, 10, Duration.ofMillis(500),
      Duration.ofSeconds(10), new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), 0));
  private static final ActionContext CONTEXT = new ActionContext("gw", "alice", Map.of());

  /** Connector "crm": create echoes its params, refuse fails for good, flaky for now, hang never answers. */
  static final class Crm implements ActionHandler {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    final List<ActionContext> contexts = new ArrayList<>();

    @Override
    public String connector() {
      return "crm";
    }

    @Override
    public List<ActionDescriptor> actions() {
      return List.of(new ActionDescriptor("create", "creates"), new ActionDescriptor("refuse", "refuses"),
          new ActionDescriptor("flaky", "fails, retryable"), new ActionDescriptor("hang", "never answers"),
          new ActionDescriptor("throw", "throws"));
    }

    @Override
    public CompletionStage<ActionResult> execute(Action action, ActionContext context) {
      runs.computeIfAbsent(action.actionId(), id -> new AtomicInteger()).incrementAndGet();
      synchronized (contexts) {
        contexts.add(context);
      }
      return switch (action.actionType()) {
        case "create" -> CompletableFuture.completedFuture(ActionResult.done(
            JsonNodeFactory.instance.objectNode().set("echo", action.params())));
        case "refuse" -> CompletableFuture.completedFuture(new ActionResult.Failed("NOT_ALLOWED", "no", false));
        case "flaky" -> CompletableFuture.completedFuture(ActionResult.failed("later", true));
        case "hang" -> new CompletableFuture<>();
        default -> throw new IllegalStateException("boom");
      };
    }

    int runs(String actionId) {
      AtomicInteger count = runs.get(actionId);
      return count == null ? 0 : count.get();
    }
  }

  /** Entities of earlier tests live on in the test kit: each test has its own gateway and actor names. */
  private static final AtomicInteger SPAWNED = new AtomicInteger();
  private Crm crm;
  private String gateway;

  @BeforeEach
  void fresh() {
    journal.clearAll();
    crm = new Crm();
    gateway = "gw" + SPAWNED.incrementAndGet();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** The test's gateway's entity, again after a stop (a restart, recovering from the journal). */
  private ActorRef<GatewayActions.Command> spawn() {
    return testKit.spawn(GatewayActions.create(gateway, SETTINGS, new ActionHandlers(List.of(crm))),
        gateway + "-" + SPAWNED.incrementAndGet());
  }

  private static Action action(String actionId, String type, String key) {
    ObjectNode params = JsonNodeFactory.instance.objectNode().put("title", "t-" + actionId);
    return new Action(actionId, "alice", 1, "crm", type, params, key);
  }

  private static Action action(String actionId, String connector, String type, String key) {
    return new Action(actionId, "alice", 1, connector, type, JsonNodeFactory.instance.objectNode(), key);
  }

  private GatewayActions.ExecuteReply execute(ActorRef<GatewayActions.Command> entity, Action... actions) {
    TestProbe<GatewayActions.ExecuteReply> probe = testKit.createTestProbe();
    entity.tell(new GatewayActions.Execute(List.of(actions), CONTEXT, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  private static List<ActionAnswer> results(GatewayActions.ExecuteReply reply) {
    assertThat(reply).isInstanceOf(GatewayActions.Executed.class);
    return ((GatewayActions.Executed) reply).results();
  }

  private static JsonNode data(ActionAnswer answer) throws Exception {
    assertThat(answer).isInstanceOf(ActionAnswer.Succeeded.class);
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(((ActionAnswer.Succeeded) answer).dataJson());
  }

  @Test
  void eachActionGetsItsOwnAnswerInOrder() throws Exception {
    List<ActionAnswer> answers = results(execute(spawn(), action("a1", "create", null),
        action("a2", "refuse", null), action("a3", "create", null)));
    assertThat(answers).extracting(ActionAnswer::actionId).containsExactly("a1", "a2", "a3");
    assertThat(data(answers.get(0)).get("echo").get("title").asText()).isEqualTo("t-a1");
    assertThat(answers.get(1)).isEqualTo(new ActionAnswer.Errored("a2", "NOT_ALLOWED", "no", false));
    assertThat(data(answers.get(2)).get("echo").get("title").asText()).isEqualTo("t-a3");
    assertThat(crm.contexts).containsOnly(CONTEXT);
  }

  @Test
  void aRepeatedActionIdOrKeyIsAnsweredAgainWithoutRunning() {
    ActorRef<GatewayActions.Command> entity = spawn();
    ActionAnswer first = results(execute(entity, action("a1", "create", "k1"))).get(0);
    assertThat(results(execute(entity, action("a1", "create", null)))).containsExactly(first);
    assertThat(results(execute(entity, action("a2", "create", "k1")))).containsExactly(first);
    assertThat(crm.runs("a1")).isEqualTo(1);
    assertThat(crm.runs("a2")).isZero();
  }

  @Test
  void aRepeatWithinOnePushIsAnsweredByItsFirstRun() {
    List<ActionAnswer> answers = results(execute(spawn(), action("a1", "create", "k"), action("a2", "create", "k")));
    assertThat(answers.get(1)).isEqualTo(answers.get(0));
    assertThat(crm.runs("a2")).isZero();
  }

  @Test
  void answersAreRememberedAcrossARestartAndOnlyTheyAreJournaled() {
    ActorRef<GatewayActions.Command> entity = spawn();
    ActionAnswer created = results(execute(entity, action("a1", "create", "k1"), action("a2", "flaky", null),
        action("a3", "refuse", null))).get(0);
    assertThat(journal.persistedInStorage("GatewayActions|" + gateway)).as("the success and the final refusal").hasSize(2);
    testKit.stop(entity);

    ActorRef<GatewayActions.Command> again = spawn();
    List<ActionAnswer> answers = results(execute(again, action("other", "create", "k1"), action("a2", "flaky", null),
        action("a3", "refuse", null)));
    assertThat(answers.get(0)).isEqualTo(created);
    assertThat(answers.get(1)).isEqualTo(new ActionAnswer.Errored("a2", ActionResult.EXECUTION_ERROR, "later", true));
    assertThat(crm.runs("other")).isZero();
    assertThat(crm.runs("a2")).as("a retryable failure runs again").isEqualTo(2);
    assertThat(crm.runs("a3")).isEqualTo(1);
  }

  @Test
  void anUnknownConnectorOrActionTypeIsNotSupported() {
    List<ActionAnswer> answers = results(execute(spawn(), action("a1", "slack", "send", null),
        action("a2", "crm", "delete", null)));
    assertThat(answers).allSatisfy(answer -> {
      assertThat(answer).isInstanceOf(ActionAnswer.Errored.class);
      assertThat(((ActionAnswer.Errored) answer).code()).isEqualTo(ActionResult.NOT_SUPPORTED);
      assertThat(((ActionAnswer.Errored) answer).retryable()).isFalse();
    });
    assertThat(((ActionAnswer.Errored) answers.get(0)).message()).contains("\"slack\"");
    assertThat(((ActionAnswer.Errored) answers.get(1)).message()).contains("\"delete\"");
  }

  @Test
  void aHandlerThatThrowsOrNeverAnswersGetsARetryableErrorAndTheGatewayGoesOn() {
    ActorRef<GatewayActions.Command> entity = spawn();
    List<ActionAnswer> answers = results(execute(entity, action("a1", "throw", null), action("a2", "hang", null),
        action("a3", "create", null)));
    assertThat(answers.get(0)).isEqualTo(new ActionAnswer.Errored("a1", ActionResult.EXECUTION_ERROR, "boom", true));
    assertThat(((ActionAnswer.Errored) answers.get(1)).retryable()).isTrue();
    assertThat(((ActionAnswer.Errored) answers.get(1)).message()).contains("500 ms");
    assertThat(answers.get(2)).isInstanceOf(ActionAnswer.Succeeded.class);
  }

  @Test
  void requestsWaitingBehindASlowOneAreAnsweredInTurn() {
    ActorRef<GatewayActions.Command> entity = spawn();
    TestProbe<GatewayActions.ExecuteReply> slow = testKit.createTestProbe();
    TestProbe<GatewayActions.ExecuteReply> next = testKit.createTestProbe();
    entity.tell(new GatewayActions.Execute(List.of(action("a1", "hang", null)), CONTEXT, slow.getRef()));
    entity.tell(new GatewayActions.Execute(List.of(action("a2", "create", null)), CONTEXT, next.getRef()));
    assertThat(results(slow.receiveMessage(Duration.ofSeconds(10)))).hasSize(1);
    assertThat(results(next.receiveMessage(Duration.ofSeconds(10)))).hasSize(1);
  }

  @Test
  void anAnswerThatCouldNotBeJournaledIsToldSoAndTheNextRequestIsServed() {
    ActorRef<GatewayActions.Command> entity = spawn();
    journal.failNextPersisted();
    assertThat(execute(entity, action("a1", "create", "k1"))).isInstanceOf(GatewayActions.NotJournaled.class);
    List<ActionAnswer> answers = results(execute(entity, action("a1", "create", "k1")));
    assertThat(answers.get(0)).isInstanceOf(ActionAnswer.Succeeded.class);
    assertThat(crm.runs("a1")).as("not remembered, so it ran again").isEqualTo(2);
    assertThat(results(execute(entity, action("a2", "create", "k1")))).isEqualTo(answers);
  }

  @Test
  void theJournalStaysBounded() {
    ActorRef<GatewayActions.Command> entity = spawn();
    for (int i = 0; i < 25; i++) {
      results(execute(entity, action("a" + i, "create", null)));
    }
    // A snapshot every 10 answers, and the events before the previous one deleted: 25 answers, 15 events left.
    assertThat(journal.persistedInStorage("GatewayActions|" + gateway).size()).isLessThanOrEqualTo(20);
    testKit.stop(entity);
    assertThat(results(execute(spawn(), action("a3", "create", null))).get(0)).isInstanceOf(
        ActionAnswer.Succeeded.class);
    assertThat(crm.runs("a3")).as("remembered through the snapshot").isEqualTo(1);
  }
}
