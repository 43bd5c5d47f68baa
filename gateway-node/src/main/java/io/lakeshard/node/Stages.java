package io.lakeshard.node;

import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Continuing on what Pekko hands back. An entity ask's reply, or a stream's materialized value, is
 * a Scala future seen as a CompletableFuture whose {@code thenApply}, {@code thenCompose} and
 * {@code whenComplete} run asynchronously on the JDK's default async pool; with fewer than three
 * cores that pool is a new thread per task (CompletableFuture's ThreadPerTaskExecutor), so mapping
 * each reply started a thread (the HTTP push path ran at half its rate: scripts/bench, profiled).
 */
public final class Stages {
  private Stages() {}

  /**
   * The same result as a plain stage whose continuations run on the thread that completes it: for
   * the cheap mapping of a reply to an outcome, never for blocking work.
   */
  public static <T> CompletionStage<T> direct(CompletionStage<T> stage) {
    return stage.thenApplyAsync(Function.identity(), Runnable::run);
  }
}
