package io.lakeshard.core.lake;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * Runs blocking object-store and catalogue calls on the lake dispatcher, never on an actor's
 * thread. The stage fails with the call's own exception (not wrapped in a CompletionException),
 * so callers and {@code pipeToSelf} see what went wrong directly.
 */
public final class OffActor {
  /** Blocking object-store and catalogue calls run on this dispatcher (reference.conf). */
  public static final String DISPATCHER = "lakeshard.lake-dispatcher";

  /** A blocking call. */
  @FunctionalInterface
  public interface Call<T> {
    T call() throws Exception;
  }

  private final Executor executor;

  public OffActor(Executor executor) {
    this.executor = executor;
  }

  public static OffActor of(ActorSystem<?> system) {
    return new OffActor(system.dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER)));
  }

  public <T> CompletionStage<T> run(Call<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    executor.execute(() -> {
      try {
        result.complete(call.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    return result;
  }
}
