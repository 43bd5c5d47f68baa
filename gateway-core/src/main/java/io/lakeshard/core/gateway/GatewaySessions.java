package io.lakeshard.core.gateway;

import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.delta.WireDeltas;
import io.lakeshard.core.gateway.SyncGateway.Broadcast;
import io.lakeshard.core.rules.RowFilter;
import io.lakeshard.core.rules.SyncRules;
import io.lakeshard.protocol.Frames;
import io.lakeshard.protocol.v1.SyncResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A gateway's open WebSocket sessions and what each may receive under the gateway's sync rules;
 * kept by the {@link SyncGateway} entity (which watches them) and used only on its thread.
 */
final class GatewaySessions {
  /** An open session: whose it is, and what the rules let it receive. */
  private record Session(String clientId, Map<String, List<String>> claims, RowFilter filter) {}

  private final Map<ActorRef<Broadcast>, Session> sessions = new HashMap<>();
  /** The sync rules, as the ledger last journaled them (null: none); sessions' filters follow them. */
  private SyncRules rules;

  /** True when the session is new (the entity then watches it). */
  boolean add(ActorRef<Broadcast> session, String clientId, Map<String, List<String>> claims) {
    return sessions.put(session, new Session(clientId, claims, filterFor(claims))) == null;
  }

  boolean remove(ActorRef<Broadcast> session) {
    return sessions.remove(session) != null;
  }

  int size() {
    return sessions.size();
  }

  void useRules(SyncRules changed) {
    rules = changed;
    sessions.replaceAll((ref, session) -> new Session(session.clientId(), session.claims(), filterFor(session.claims())));
  }

  private RowFilter filterFor(Map<String, List<String>> claims) {
    return rules == null ? RowFilter.ALL : rules.forClaims(claims);
  }

  /**
   * To every session but the pusher's (as LakeSync's gateway: by the pushing client, so an HTTP
   * push does not come back to that client's sockets), what each session's rules allow; nothing to
   * a session that is left with nothing. The frame of all the deltas is encoded once, and only
   * sessions whose rules drop some get their own.
   */
  void broadcast(List<RowDelta> deltas, long serverHlc, ActorRef<Broadcast> origin, String pushingClient) {
    if (sessions.isEmpty()) {
      return;
    }
    byte[] all = null;
    for (Map.Entry<ActorRef<Broadcast>, Session> entry : sessions.entrySet()) {
      Session session = entry.getValue();
      if (entry.getKey().equals(origin) || pushingClient.equals(session.clientId())) {
        continue;
      }
      List<RowDelta> allowed = session.filter() == RowFilter.ALL ? deltas
          : deltas.stream().filter(session.filter()::allows).toList();
      if (allowed.isEmpty()) {
        continue;
      }
      byte[] frame;
      if (allowed.size() == deltas.size()) {
        all = all != null ? all : frame(deltas, serverHlc);
        frame = all;
      } else {
        frame = frame(allowed, serverHlc);
      }
      entry.getKey().tell(new Broadcast(frame));
    }
  }

  private static byte[] frame(List<RowDelta> deltas, long serverHlc) {
    return Frames.encodeBroadcast(SyncResponse.newBuilder()
        .addAllDeltas(WireDeltas.toWire(deltas))
        .setServerHlc(serverHlc)
        .build());
  }
}
