package io.lakeshard.core.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.lakeshard.core.CborSerializable;
import java.util.List;
import java.util.Map;

/**
 * A gateway's sync rules, LakeSync's {@code SyncRulesConfig}: a client receives a delta when it
 * matches any bucket; a bucket matches when its {@code tables} is empty or names the delta's
 * table, and every one of its filters holds. With no buckets every delta reaches every client.
 * Journaled with the gateway (in an event and its snapshot), so fields are only ever added.
 */
public record SyncRules(long version, List<Bucket> buckets) implements CborSerializable {

  public SyncRules {
    buckets = List.copyOf(buckets);
  }

  /** A named set of rows: the deltas of {@code tables} (all, when empty) for which every filter holds. */
  public record Bucket(String name, List<String> tables, List<Filter> filters) {
    public Bucket {
      tables = List.copyOf(tables);
      filters = List.copyOf(filters);
    }
  }

  /** {@code column op value}; a {@code value} of {@code jwt:<claim>} stands for the client's claim. */
  public record Filter(String column, Op op, String value) {
    static final String CLAIM_PREFIX = "jwt:";
  }

  /** LakeSync's filter operators, written as LakeSync spells them. */
  public enum Op {
    @JsonProperty("eq") EQ,
    @JsonProperty("in") IN,
    @JsonProperty("neq") NEQ,
    @JsonProperty("gt") GT,
    @JsonProperty("lt") LT,
    @JsonProperty("gte") GTE,
    @JsonProperty("lte") LTE
  }

  /** Whether these rules filter anything: with no buckets they do not (as LakeSync's gateway). */
  public boolean active() {
    return !buckets.isEmpty();
  }

  /**
   * What a client holding {@code claims} (claim name → its value, a string claim as a list of
   * one; null as none) may receive. Resolved once per pull or session, then asked per delta.
   */
  public RowFilter forClaims(Map<String, List<String>> claims) {
    return active() ? CompiledRules.compile(this, claims == null ? Map.of() : claims) : RowFilter.ALL;
  }
}
