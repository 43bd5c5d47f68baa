package io.lakeshard.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers a test starts as their own process (a node, PostgreSQL), which bind them
 * seconds after the test picked them. A port from the kernel's ephemeral range (what binding port
 * 0 gives) can meanwhile be taken by any outgoing connection, such as another node's JDBC pool, and
 * the server then fails to start; so these come from below that range, at random (tests in other
 * JVMs rarely pick the same), never the same one twice in this JVM.
 */
final class FreePorts {
  private static final int LOWEST = 10_000;
  private static final int DEFAULT_EPHEMERAL_LOW = 32_768;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  /** A loopback port no one listens on now, outside the ephemeral range. */
  static int next() throws IOException {
    int below = ephemeralLow();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
      if (HANDED_OUT.add(port) && bindable(port)) {
        return port;
      }
    }
    throw new IOException("no free loopback port in " + LOWEST + ".." + below);
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** The lowest ephemeral port (net.ipv4.ip_local_port_range), or Linux's default. */
  private static int ephemeralLow() {
    try {
      int low = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
      return low > LOWEST + 1_000 ? low : DEFAULT_EPHEMERAL_LOW;
    } catch (IOException | RuntimeException unreadable) {
      return DEFAULT_EPHEMERAL_LOW;
    }
  }
}
