package io.lakeshard.node;

import com.typesafe.config.ConfigFactory;

/** Starts one node from application.conf and the LAKESHARD_* environment. */
public final class Main {
  public static void main(String[] args) {
    try {
      LakeshardNode.start(ConfigFactory.load()).toCompletableFuture().join();
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("lakeshard: cannot start: " + cause.getMessage());
      System.exit(1);
    }
  }
}
