package io.lakeshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lakeshard.adapter.r2.S3LakeAdapter;
import io.lakeshard.core.action.ActionHandler;
import io.lakeshard.core.action.ActionHandlers;
import io.lakeshard.core.action.ActionSettings;
import io.lakeshard.core.action.GatewayActions;
import io.lakeshard.core.catalogue.IcebergEventLog;
import io.lakeshard.core.catalogue.IcebergLake;
import io.lakeshard.core.checkpoint.CheckpointStore;
import io.lakeshard.core.eventstore.EventStore;
import io.lakeshard.core.eventstore.EventStoreSettings;
import io.lakeshard.core.eventstore.LiveStoreHooks;
import io.lakeshard.core.flush.FlushLimits;
import io.lakeshard.core.gateway.GatewaySettings;
import io.lakeshard.core.gateway.SyncGateway;
import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeException;
import io.lakeshard.core.lake.LocalLakeAdapter;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.stream.DurableStream;
import io.lakeshard.core.stream.StreamSettings;
import io.lakeshard.node.admin.AdminPage;
import io.lakeshard.node.admin.AdminRoutes;
import io.lakeshard.node.auth.NodeTokens;
import io.lakeshard.node.claims.ClaimsVersionRoutes;
import io.lakeshard.node.claims.ClaimsVersions;
import io.lakeshard.node.claims.OpenSessions;
import io.lakeshard.node.claims.ReplicatedClaimsVersions;
import io.lakeshard.node.http.CommonHeaders;
import io.lakeshard.node.http.Cors;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.node.http.RequestBodies;
import io.lakeshard.node.http.ServerTiming;
import io.lakeshard.node.http.WebSocketCloseCodes;
import io.lakeshard.node.images.ImageRoutes;
import io.lakeshard.node.images.ImageStore;
import io.lakeshard.node.images.ImagesSettings;
import io.lakeshard.node.journal.SegmentJournals;
import io.lakeshard.node.livestore.LiveStoreRoutes;
import io.lakeshard.node.livestore.LiveStoreService;
import io.lakeshard.node.livestore.LiveStoreSettings;
import io.lakeshard.node.livestore.PayloadCheck;
import io.lakeshard.node.livestore.StaticTokenCheck;
import io.lakeshard.node.openapi.OpenApiRoutes;
import io.lakeshard.node.metrics.LiveStoreMeters;
import io.lakeshard.node.metrics.NodeMetrics;
import io.lakeshard.node.router.BackendAdminRoutes;
import io.lakeshard.node.router.ClusterBackends;
import io.lakeshard.node.router.HealthCache;
import io.lakeshard.node.router.Router;
import io.lakeshard.node.router.RouterSettings;
import io.lakeshard.node.stream.ExplicitContentType;
import io.lakeshard.node.stream.StreamAuth;
import io.lakeshard.node.stream.StreamRoutes;
import io.lakeshard.node.stream.StreamService;
import io.lakeshard.node.sync.SyncRoutes;
import io.lakeshard.node.sync.SyncService;
import io.lakeshard.node.workspace.GatewayAuth;
import io.lakeshard.node.workspace.WorkspaceGate;
import io.lakeshard.node.workspace.WorkspacePayloadCheck;
import io.lakeshard.node.workspace.WorkspaceSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running node: its actor system, the sharded gateways and the bound HTTP server. */
public final class LakeshardNode {
  private static final Logger log = LoggerFactory.getLogger(LakeshardNode.class);
  private static final String H2_JOURNAL_SCHEMA = "schema/h2/h2-create-schema.sql";
  /** Tries at creating tables a starting cluster races on (journal, JDBC catalogue), and the pause between. */
  private static final int SCHEMA_ATTEMPTS = 5;
  private static final Duration SCHEMA_RETRY_DELAY = Duration.ofSeconds(1);
  private static final String DISCOVERY_METHOD = "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method";

  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final Optional<InetSocketAddress> router;
  private final int managementPort;
  /** Completes once the actor system has terminated and the lake's catalogue is closed. */
  private final CompletionStage<Void> stopped;

  private LakeshardNode(ActorSystem<Void> system, ServerBinding binding, Optional<InetSocketAddress> router,
                        int managementPort, CompletionStage<Void> stopped) {
    this.system = system;
    this.stopped = stopped;
    this.binding = binding;
    this.router = router;
    this.managementPort = managementPort;
  }

  /**
   * Starts a node on the given (resolved) config: alone (discovery off) or joining its cluster
   * through Cluster Bootstrap; completes once HTTP is bound.
   */
  public static CompletionStage<LakeshardNode> start(Config config) {
    NodeSettings settings = NodeSettings.fromConfig(config);
    NodeTokens tokens = NodeTokens.from(settings.auth());
    WorkspaceSettings workspaceSettings = WorkspaceSettings.fromConfig(config);
    ActionSettings actionSettings = ActionSettings.fromConfig(config);
    ActionHandlers actionHandlers = new ActionHandlers(Plugins.load(config, "lakeshard.actions.handlers", ActionHandler.class));
    StreamAuth streamAuth = streamAuthFrom(settings, tokens);
    List<LiveStoreHooks> liveStoreHooks = Plugins.load(config, "lakeshard.livestore.hooks", LiveStoreHooks.class);
    RouterSettings routerSettings = RouterSettings.fromConfig(config, System.getenv());
    ServerTiming timing = ServerTiming.fromConfig(config);
    LakeAdapter store = openStore(settings.lake());
    IcebergLake lake = openLake(store, settings.catalogue());
    CheckpointStore checkpoints = new CheckpointStore(store, lake, settings.gateway().checkpoint().chunkBytes());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lakeshard",
        withJournal(withDiscovery(config, settings.cluster()), settings.journal()));
    CompletionStage<Void> stopped = system.getWhenTerminated().thenRun(() -> closeLake(lake));
    ClaimsVersions claims = new ReplicatedClaimsVersions(system, config.getDuration("lakeshard.claims-versions.timeout"));
    NodeMetrics metrics = NodeMetrics.get(system);
    CompletionStage<Uri> management = PekkoManagement.get(system).start();
    if (settings.cluster().discovery().equals("off")) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    } else {
      ClusterBootstrap.get(system).start();
      log.info("joining the cluster through {} discovery", settings.cluster().discovery());
    }

    // Nodes starting together race to create the journal tables (on PostgreSQL a concurrent
    // CREATE ... IF NOT EXISTS can fail); a loser tries again and finds them made.
    return Patterns.retry(() -> createJournalTables(system).whenComplete((done, raced) -> {
          if (raced != null) {
            log.info("creating the journal tables failed ({}); trying again", raced.getMessage());
          }
        }), SCHEMA_ATTEMPTS, SCHEMA_RETRY_DELAY, system)
        .thenCompose(done -> openSegmentJournal(system, settings.journal()))
        .thenCompose(done -> {
          // A sharded gateway's shards checkpoint only together (AdminRoutes), at one stamp.
          GatewaySettings shard = settings.gateway().withoutCheckpointPolicy();
          SyncGateway.init(system, entityId -> settings.shards().isShardEntity(entityId) ? shard : settings.gateway(),
              lake, checkpoints, metrics.gateways());
          StreamSettings streams = StreamSettings.fromConfig(system.settings().config());
          DurableStream.init(system, streams, store);
          EventStoreSettings eventStores = EventStoreSettings.fromConfig(system.settings().config());
          EventStore.init(system, eventStores, FlushLimits.fromConfig(system.settings().config().getConfig("lakeshard.livestore.flush")),
              new IcebergEventLog(lake.catalogue(), IcebergEventLog.Settings.fromConfig(system.settings().config())),
              metrics.liveStore().flushes());
          GatewayActions.init(system, actionSettings, actionHandlers);
          metrics.countEntities(List.of(SyncGateway.ENTITY_TYPE_KEY, DurableStream.ENTITY_TYPE_KEY,
              EventStore.ENTITY_TYPE_KEY, GatewayActions.ENTITY_TYPE_KEY));
          OpenSessions openSessions = new OpenSessions(claims, system.scheduler(), system.executionContext(),
              Clock.systemUTC());
          Optional<WorkspaceGate> workspaces = WorkspaceGate.from(settings.auth(), workspaceSettings, claims);
          ClusterBackends backends = ClusterBackends.start(system, System.getenv(), routerSettings.registryWriteTimeout());
          HealthCache backendHealth = new HealthCache(routerSettings.healthCacheTtl());
          RequestBodies bodies = new RequestBodies(settings.askTimeout(), settings.refusedBodyDrainBytes(),
              JsonErrors.Family.SYNC);
          return Http.get(system)
              .newServerAt(settings.httpHost(), settings.httpPort())
              .withSettings(ExplicitContentType.serverSettings(system))
              .bind(timing.around(routes(system, settings, tokens, new GatewayAuth(tokens, workspaces), openSessions, streams,
                  streamAuth, new SyncService(system, settings, checkpoints, actionSettings, actionHandlers, metrics.sync()),
                  liveStore(system, settings, eventStores, liveStoreHooks, workspaces, metrics.liveStore()), bodies,
                  new ClaimsVersionRoutes(claims, tokens, workspaceSettings.serverBypassToken(), bodies),
                  new BackendAdminRoutes(tokens, bodies, settings.maxBodyBytes(), routerSettings, backends, backendHealth),
                  images(system, settings, store, bodies, workspaces))))
              .thenCompose(binding -> {
                binding.addToCoordinatedShutdown(settings.unbindTimeout(), system);
                log.info("Lakeshard node serving HTTP on {}", binding.localAddress());
                return Router.start(system, routerSettings, settings.httpHost(), backends, backendHealth,
                        settings.unbindTimeout(), metrics.router(), timing)
                    .thenCombine(management, (router, uri) -> new LakeshardNode(system, binding, router, uri.port(),
                        stopped));
              });
        })
        .whenComplete((node, failure) -> {
          if (failure != null) {
            log.error("node failed to start: {}", failure.getMessage());
            system.terminate();
          }
        });
  }

  /** Cluster Bootstrap's discovery method, and for {@code config} the listed nodes as its endpoints. */
  static Config withDiscovery(Config config, NodeSettings.ClusterSettings cluster) {
    switch (cluster.discovery()) {
      case "off":
        return config;
      case "kubernetes-api":
        return ConfigFactory.parseMap(Map.of(DISCOVERY_METHOD, "kubernetes-api")).withFallback(config);
      case "config":
        List<Map<String, Object>> endpoints = new ArrayList<>();
        for (String endpoint : cluster.endpoints()) {
          int colon = endpoint.lastIndexOf(':');
          if (colon < 1) {
            throw new IllegalArgumentException("LAKESHARD_CLUSTER_ENDPOINTS entries are host:managementPort, not '" + endpoint + "'");
          }
          endpoints.add(Map.of("host", endpoint.substring(0, colon), "port", Integer.parseInt(endpoint.substring(colon + 1))));
        }
        if (endpoints.isEmpty()) {
          throw new IllegalArgumentException("discovery config needs LAKESHARD_CLUSTER_ENDPOINTS (host:managementPort,...)");
        }
        // The listed ports are the management ports themselves, possibly several on one host:
        // bootstrap must not keep only those on its own management port.
        return ConfigFactory.parseMap(Map.of(
                DISCOVERY_METHOD, "config",
                "pekko.discovery.config.services.lakeshard.endpoints", endpoints,
                "pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port", false))
            .withFallback(config);
      default:
        throw new IllegalArgumentException(
            "lakeshard.cluster.discovery (LAKESHARD_DISCOVERY) must be off, config or kubernetes-api, not '"
                + cluster.discovery() + "'");
    }
  }

  /** The journal plugin the entities write to; the config names the JDBC one. */
  static Config withJournal(Config config, NodeSettings.JournalKind journal) {
    return journal == NodeSettings.JournalKind.SEGMENT
        ? ConfigFactory.parseMap(Map.of("pekko.persistence.journal.plugin", SegmentJournals.PLUGIN_ID)).withFallback(config)
        : config;
  }

  /**
   * The segment journal opened before any entity starts (copying the H2 journal's events over on
   * the first start, then reading its segments), so no recovery waits on it; off the dispatcher.
   */
  private static CompletionStage<Done> openSegmentJournal(ActorSystem<?> system, NodeSettings.JournalKind journal) {
    if (journal != NodeSettings.JournalKind.SEGMENT) {
      log.info("journal: JDBC ({})", system.settings().config().getString("lakeshard.journal.url"));
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return CompletableFuture.supplyAsync(() -> {
      SegmentJournals.store(Adapter.toClassic(system));
      return Done.getInstance();
    }, system.dispatchers().lookup(DispatcherSelector.blocking()));
  }

  /** The object store of flushes and stream segments, as configured; fails fast when unusable. */
  static LakeAdapter openStore(NodeSettings.LakeSettings lakeSettings) {
    return switch (lakeSettings.type()) {
      case "local" -> new LocalLakeAdapter(lakeSettings.dir());
      case "s3" -> s3Lake(lakeSettings);
      default -> throw new IllegalArgumentException(
          "lakeshard.lake.type (LAKESHARD_LAKE) must be local or s3, not '" + lakeSettings.type() + "'");
    };
  }

  /**
   * The journal's tables, created if missing. On H2 the payloads are VARBINARY rather than the
   * bundled script's BLOB: H2 keeps a BLOB of more than a few hundred bytes outside its row, in
   * its LOB store, at several more map writes per event (the journal's largest cost in the push
   * profile). Tables an earlier version created with BLOB keep working as they are.
   */
  private static CompletionStage<Done> createJournalTables(ActorSystem<?> system) {
    if (!system.settings().config().getString("lakeshard.journal.profile").equals("slick.jdbc.H2Profile$")) {
      return SchemaUtils.createIfNotExists(Adapter.toClassic(system));
    }
    try (InputStream script = SchemaUtils.class.getClassLoader().getResourceAsStream(H2_JOURNAL_SCHEMA)) {
      if (script == null) {
        throw new IllegalStateException(H2_JOURNAL_SCHEMA + " is missing from pekko-persistence-jdbc");
      }
      String ddl = new String(script.readAllBytes(), StandardCharsets.UTF_8).replaceAll("\\bBLOB\\b", "VARBINARY");
      return SchemaUtils.applyScript(ddl, Adapter.toClassic(system));
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The Iceberg catalogue flushes commit to, as configured; fails fast when unusable. */
  static IcebergLake openLake(LakeAdapter store, NodeSettings.CatalogueSettings catalogue) {
    IcebergLake lake = switch (catalogue.type()) {
      case "jdbc" -> jdbcCatalogue(catalogue, store);
      case "nessie" -> {
        if (catalogue.nessieUri().isEmpty()) {
          throw new IllegalArgumentException("catalogue nessie needs LAKESHARD_NESSIE_URI (e.g. http://127.0.0.1:19120/api/v2)");
        }
        yield IcebergLake.nessie(catalogue.nessieUri(), catalogue.nessieRef(), store);
      }
      default -> throw new IllegalArgumentException(
          "lakeshard.catalogue.type (LAKESHARD_CATALOGUE) must be jdbc or nessie, not '" + catalogue.type() + "'");
    };
    log.info("flushing to {} through the {} catalogue", store.uri(), catalogue.type());
    return lake;
  }

  /** Nodes starting together on a shared database race to create the catalogue's tables; a loser retries. */
  private static IcebergLake jdbcCatalogue(NodeSettings.CatalogueSettings catalogue, LakeAdapter store) {
    for (int attempt = 1; ; attempt++) {
      try {
        return IcebergLake.jdbc(catalogue.jdbcUrl(), catalogue.jdbcUser(), catalogue.jdbcPassword(), store);
      } catch (RuntimeException raced) {
        if (attempt == SCHEMA_ATTEMPTS) {
          throw raced;
        }
        log.info("opening the JDBC catalogue failed ({}); trying again", raced.getMessage());
        try {
          Thread.sleep(SCHEMA_RETRY_DELAY.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw raced;
        }
      }
    }
  }

  private static LakeAdapter s3Lake(NodeSettings.LakeSettings settings) {
    if (settings.s3().endpoint().isEmpty()) {
      throw new IllegalArgumentException("lake s3 needs LAKESHARD_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and _SECRET_KEY");
    }
    S3LakeAdapter adapter = new S3LakeAdapter(settings.s3());
    if (settings.createBucket()) {
      try {
        adapter.ensureBucket();
      } catch (LakeException e) {
        throw new IllegalStateException("cannot reach bucket " + settings.s3().bucket() + " at "
            + settings.s3().endpoint() + ": " + e.getMessage(), e);
      }
    }
    return adapter;
  }

  private static void closeLake(IcebergLake lake) {
    try {
      lake.close();
    } catch (Exception e) {
      log.warn("closing the lake catalogue: {}", e.toString());
    }
  }

  /**
   * Stream routes first (they answer their own preflights), then any other preflight, before
   * authentication, then LiveStore's sync (text answers, as LiveStore's worker gives); the gateway and admin routes answer every path they do not know with a JSON
   * 404. Sync and admin routes answer with and without the {@code /v1} prefix (LakeSync v1).
   * Every answer carries LakeSync's common headers ({@link CommonHeaders}).
   */
  private static Route routes(ActorSystem<?> system, NodeSettings settings, NodeTokens tokens,
                              GatewayAuth gatewayAuth, OpenSessions openSessions, StreamSettings streamSettings,
                              StreamAuth streamAuth, SyncService syncService, LiveStoreService liveStore,
                              RequestBodies bodies, ClaimsVersionRoutes claimsVersions, BackendAdminRoutes backends,
                              Route images) {
    StreamRoutes streams = new StreamRoutes(new StreamService(system, streamSettings, streamAuth, settings.askTimeout(),
            NodeMetrics.get(system).streams()),
        new RequestBodies(settings.askTimeout(), settings.refusedBodyDrainBytes(), JsonErrors.Family.STREAMS));
    Route sync = new SyncRoutes(system, settings, syncService, gatewayAuth, openSessions, bodies).routes();
    AdminRoutes admin = new AdminRoutes(system, settings, tokens, gatewayAuth, bodies);
    Route livestore = new LiveStoreRoutes(system, liveStore, new WebSocketCloseCodes(system, liveStore.maxMessageBytes(),
        settings.wsCloseTimeout()), bodies, openSessions).routes();
    Route openApi = OpenApiRoutes.load().routes();
    return new CommonHeaders(new Cors(settings.allowedOrigins())).around(() -> Directives.concat(
        streams.routes(),
        CommonHeaders.preflight(),
        livestore,
        images,
        JsonErrors.answeringErrors("gateway", settings.maxBodyBytes(), () -> Directives.concat(
            admin.health(),
            openApi,
            new AdminPage().routes(),
            Directives.pathPrefix("v1", () -> Directives.concat(backends.routes(), sync, admin.routes(),
                claimsVersions.routes())),
            sync,
            admin.routes()))));
  }

  /** Work Squared's image routes, in workspace mode only, checked by the workspace gate's token verifier. */
  private static Route images(ActorSystem<?> system, NodeSettings settings, LakeAdapter store, RequestBodies bodies,
                              Optional<WorkspaceGate> workspaces) {
    return workspaces.map(gate -> new ImageRoutes(ImagesSettings.fromConfig(system.settings().config()),
            new ImageStore(store, OffActor.of(system)), gate.tokens(), bodies, settings.askTimeout(),
            settings.lakeRetryAfter()).routes())
        .orElseGet(Directives::reject);
  }

  /** In workspace mode LiveStore payloads carry workspace tokens; else the static token, if any. */
  private static LiveStoreService liveStore(ActorSystem<?> system, NodeSettings settings, EventStoreSettings limits,
                                            List<LiveStoreHooks> hooks, Optional<WorkspaceGate> workspaces,
                                            LiveStoreMeters meters) {
    LiveStoreSettings liveStore = LiveStoreSettings.fromConfig(system.settings().config());
    PayloadCheck check;
    if (workspaces.isPresent()) {
      if (!liveStore.authToken().isEmpty()) {
        log.warn("LAKESHARD_LIVESTORE_AUTH_TOKEN is ignored: workspace auth checks LiveStore payloads");
      }
      check = new WorkspacePayloadCheck(workspaces.get());
    } else {
      StaticTokenCheck token = new StaticTokenCheck(liveStore.authToken());
      if (token.open()) {
        log.warn("LiveStore sync at /livestore is open: set LAKESHARD_LIVESTORE_AUTH_TOKEN to require a token");
      }
      check = token;
    }
    return new LiveStoreService(system, limits, liveStore, check, hooks, settings.askTimeout(), meters);
  }

  private static StreamAuth streamAuthFrom(NodeSettings settings, NodeTokens tokens) {
    StreamAuth streamAuth = StreamAuth.from(settings.streams(), tokens.verifier());
    log.info("stream writes {}, stream reads {}",
        streamAuth.writesOpen() ? "open" : "need the write token",
        streamAuth.readsOpen() ? "open" : "need a JWT");
    return streamAuth;
  }

  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** Pekko Management's port: cluster bootstrap, the health probes and {@code /metrics}. */
  public int managementPort() {
    return managementPort;
  }

  /** The x-backend router's port, when it is on. */
  public Optional<Integer> routerPort() {
    return router.map(InetSocketAddress::getPort);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /**
   * Stops the node the way a SIGTERM does: unbind, hand off, leave, terminate; done once the lake's
   * catalogue is closed too (its embedded database still writes while it closes).
   */
  public CompletionStage<?> stop() {
    system.terminate();
    return stopped;
  }
}
