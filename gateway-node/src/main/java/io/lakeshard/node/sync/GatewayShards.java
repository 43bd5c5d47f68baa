package io.lakeshard.node.sync;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.lakeshard.core.schema.Identifiers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code lakeshard.gateway.shards} (LakeSync's {@code SHARD_CONFIG}, per gateway): for a sharded
 * gateway, which {@code SyncGateway} entity holds each table. A listed table lives in the entity
 * {@code {gw}~{shard}}; every other table stays in the entity {@code {gw}}, the gateway's own,
 * which is the default shard, so sharding an existing gateway keeps its data where it is. A
 * gateway id and a shard name are {@code [A-Za-z0-9._-]}, so {@code ~} never occurs in either and
 * no shard's entity id can be another gateway's or another shard's.
 */
public final class GatewayShards {
  public static final String SEPARATOR = "~";
  private static final Pattern SHARD_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** One sharded gateway: its entity ids (its own first) and the entity of each listed table. */
  public record Layout(String gatewayId, List<String> entityIds, Map<String, String> entityByTable) {
    public String entityOf(String table) {
      return entityByTable.getOrDefault(table, gatewayId);
    }
  }

  private final Map<String, Layout> layouts;

  private GatewayShards(Map<String, Layout> layouts) {
    this.layouts = layouts;
  }

  public static final GatewayShards NONE = new GatewayShards(Map.of());

  /** The gateway's layout; empty when it is not sharded (one entity, as always). */
  public Optional<Layout> of(String gatewayId) {
    return Optional.ofNullable(layouts.get(gatewayId));
  }

  /** Whether {@code entityId} is one of a sharded gateway's entities (its own included). */
  public boolean isShardEntity(String entityId) {
    int separator = entityId.indexOf(SEPARATOR);
    Layout layout = layouts.get(separator < 0 ? entityId : entityId.substring(0, separator));
    return layout != null && layout.entityIds().contains(entityId);
  }

  /**
   * Reads {@code lakeshard.gateway.shards}: gateway id → { shard name → [tables] }, as an object,
   * or as a string holding one in HOCON or JSON (what {@code LAKESHARD_SHARDS} sets).
   */
  public static GatewayShards fromConfig(Config config) {
    String path = "lakeshard.gateway.shards";
    if (!config.hasPath(path)) {
      return NONE;
    }
    ConfigValue value = config.getValue(path);
    ConfigObject gateways = value.valueType() == ConfigValueType.STRING
        ? ConfigFactory.parseString((String) value.unwrapped()).root()
        : config.getObject(path);
    Map<String, Layout> layouts = new HashMap<>();
    for (String gatewayId : gateways.keySet()) {
      if (!SyncService.GATEWAY_ID.matcher(gatewayId).matches()) {
        throw new IllegalArgumentException(path + ": gateway id '" + gatewayId + "' must match " + SyncService.GATEWAY_ID);
      }
      layouts.put(gatewayId, layout(gatewayId, gateways.toConfig().getObject(quoted(gatewayId))));
    }
    return new GatewayShards(Map.copyOf(layouts));
  }

  private static Layout layout(String gatewayId, ConfigObject shards) {
    List<String> entityIds = new ArrayList<>(List.of(gatewayId));
    Map<String, String> entityByTable = new LinkedHashMap<>();
    for (String shard : shards.keySet()) {
      String where = "lakeshard.gateway.shards." + gatewayId + "." + shard;
      if (!SHARD_NAME.matcher(shard).matches()) {
        throw new IllegalArgumentException(where + ": a shard name must match " + SHARD_NAME);
      }
      List<String> tables = shards.toConfig().getStringList(quoted(shard));
      if (tables.isEmpty()) {
        throw new IllegalArgumentException(where + ": a shard lists at least one table");
      }
      String entityId = gatewayId + SEPARATOR + shard;
      entityIds.add(entityId);
      for (String table : tables) {
        if (!Identifiers.valid(table)) {
          throw new IllegalArgumentException(where + ": invalid table name '" + table + "': " + Identifiers.RULE);
        }
        String previous = entityByTable.put(table, entityId);
        if (previous != null) {
          throw new IllegalArgumentException(where + ": table " + table + " is already in " + previous);
        }
      }
    }
    return new Layout(gatewayId, List.copyOf(entityIds), Map.copyOf(entityByTable));
  }

  /** A key as a one-segment config path (gateway ids and shard names may hold dots). */
  private static String quoted(String key) {
    return "\"" + key + "\"";
  }
}
