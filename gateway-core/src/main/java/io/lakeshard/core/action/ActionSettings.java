package io.lakeshard.core.action;

import com.typesafe.config.Config;
import io.lakeshard.core.retry.Backoff;
import java.time.Duration;

/**
 * Typed settings of a gateway's actions, from {@code lakeshard.actions}.
 *
 * @param remember how many answers a gateway keeps for repeated actionIds and idempotency keys
 * @param snapshotEvery a snapshot of that memory every this many answers, deleting the events before the previous one
 * @param handlerTimeout a handler's stage not done by then answers a retryable ACTION_EXECUTION_ERROR
 * @param askTimeout how long a request waits for all its actions' answers (they run one after another)
 * @param journalBackoff when the entity restarts after a journal failure ({@code lakeshard.entity.journal-backoff})
 */
public record ActionSettings(int remember, int snapshotEvery, Duration handlerTimeout, Duration askTimeout,
                             Backoff journalBackoff) {

  public static ActionSettings fromConfig(Config config) {
    Config actions = config.getConfig("lakeshard.actions");
    return new ActionSettings(
        actions.getInt("remember"),
        actions.getInt("snapshot-every"),
        actions.getDuration("handler-timeout"),
        actions.getDuration("ask-timeout"),
        Backoff.fromConfig(config.getConfig("lakeshard.entity.journal-backoff")));
  }
}
