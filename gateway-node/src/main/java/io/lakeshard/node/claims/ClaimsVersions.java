package io.lakeshard.node.claims;

import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * Each user's workspace claims version, shared by the whole cluster: it only grows, and a token
 * whose {@code workspaceClaimsVersion} is below it is stale. Reads fail closed.
 */
public interface ClaimsVersions {
  /** The user's version, 0 when none was ever set; fails with {@link ClaimsUnavailableException} when it cannot be read in time. */
  CompletionStage<Long> current(String userId);

  /** Raises the user's version to at least {@code version} (empty: current + 1) and answers the version now held. */
  CompletionStage<Long> raise(String userId, OptionalLong version);

  /** Called on this node, from any thread, whenever a user's version grows (by a raise on any node). */
  void onRaised(BiConsumer<String, Long> listener);
}
