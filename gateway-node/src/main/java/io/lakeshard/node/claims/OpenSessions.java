package io.lakeshard.node.claims;

import io.lakeshard.node.Stages;
import io.lakeshard.node.http.WebSocketCloseCodes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContext;

/**
 * This node's open sessions (WebSockets) that hold a user's token: each is cut once when the
 * user's claims version rises above its token's (told by {@link ClaimsVersions#onRaised}, on every
 * node for a raise on any node) or when its token's grace ends (one timer per session, on Pekko's
 * hashed-wheel scheduler: no sweep over all sessions). Node-local; each node cuts its own.
 */
public final class OpenSessions {
  private static final Logger log = LoggerFactory.getLogger(OpenSessions.class);
  /** Pekko's scheduler refuses delays past ~248 days; a later cutAt is re-armed from here. */
  private static final Duration LONGEST_TIMER = Duration.ofDays(7);

  /** Who holds a session: the token's user and claims version, and when it must end ({@code exp} + grace, {@link Instant#MAX} for a bypass session). */
  public record SessionHolder(String userId, long tokenVersion, Instant cutAt) {}

  /** Why a session was cut: its token is below the user's version, or past its grace. */
  public enum CutReason { TOKEN_VERSION_STALE, GRACE_PERIOD_EXPIRED }

  /** A registered session; {@link #close()} when the session ends, after which it is never cut. */
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  private final ClaimsVersions versions;
  private final Scheduler scheduler;
  private final ExecutionContext executor;
  private final Clock clock;
  private final Map<String, Set<Session>> byUser = new ConcurrentHashMap<>();

  public OpenSessions(ClaimsVersions versions, Scheduler scheduler, ExecutionContext executor, Clock clock) {
    this.versions = versions;
    this.scheduler = scheduler;
    this.executor = executor;
    this.clock = clock;
    versions.onRaised(this::raised);
  }

  /**
   * Registers a session; {@code cut} is called at most once, from any thread, to close it. The
   * user's version is read again once registered: a raise that landed between the token check and
   * this call is not missed (a raise reaching this node later is told through onRaised).
   */
  public Registration register(SessionHolder holder, Consumer<CutReason> cut) {
    Session session = new Session(holder, cut);
    byUser.compute(holder.userId(), (user, sessions) -> {
      Set<Session> open = sessions == null ? ConcurrentHashMap.newKeySet() : sessions;
      open.add(session);
      return open;
    });
    session.armExpiry();
    Stages.direct(versions.current(holder.userId())).thenAccept(version -> {
      if (holder.tokenVersion() < version) {
        session.cut(CutReason.TOKEN_VERSION_STALE);
      }
    }); // unreadable now: the connect-time check has just failed closed or passed; later raises still arrive
    return session::close;
  }

  /**
   * A WebSocket's {@code flow}, registered while it runs and closed with SESSION_REVOKED when its
   * holder's session is cut; {@code flow} as it is for a session without a holder (a node token).
   */
  public Flow<Message, Message, NotUsed> revocable(Optional<SessionHolder> holder, Flow<Message, Message, NotUsed> flow) {
    return holder
        .map(session -> WebSocketCloseCodes.revocable(flow,
            cut -> register(session, reason -> cut.accept(reason.name()))::close))
        .orElse(flow);
  }

  private void raised(String userId, long version) {
    Set<Session> sessions = byUser.get(userId);
    if (sessions == null) {
      return;
    }
    for (Session session : sessions) {
      if (session.holder.tokenVersion() < version) {
        session.cut(CutReason.TOKEN_VERSION_STALE);
      }
    }
  }

  private final class Session {
    private final SessionHolder holder;
    private final Consumer<CutReason> cut;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Cancellable expiry;

    Session(SessionHolder holder, Consumer<CutReason> cut) {
      this.holder = holder;
      this.cut = cut;
    }

    void armExpiry() {
      if (holder.cutAt().equals(Instant.MAX) || ended.get()) {
        return;
      }
      Duration left = Duration.between(clock.instant(), holder.cutAt());
      if (left.isNegative() || left.isZero()) {
        cut(CutReason.GRACE_PERIOD_EXPIRED);
        return;
      }
      boolean last = left.compareTo(LONGEST_TIMER) <= 0;
      expiry = scheduler.scheduleOnce(last ? left : LONGEST_TIMER, this::armExpiry, executor);
    }

    void cut(CutReason reason) {
      if (end()) {
        log.info("cutting a session of user {} (token version {}): {}", holder.userId(), holder.tokenVersion(), reason);
        cut.accept(reason);
      }
    }

    void close() {
      end();
    }

    /** True for the one caller that ended this session. */
    private boolean end() {
      if (!ended.compareAndSet(false, true)) {
        return false;
      }
      Cancellable timer = expiry;
      if (timer != null) {
        timer.cancel();
      }
      byUser.computeIfPresent(holder.userId(), (user, sessions) -> {
        sessions.remove(this);
        return sessions.isEmpty() ? null : sessions;
      });
      return true;
    }
  }
}
