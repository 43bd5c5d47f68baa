package io.lakeshard.core.rules;

import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.RowDelta;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Sync rules with one client's claims filled in, evaluated as LakeSync's {@code filterDeltas}
 * does: the delta's column value as JavaScript's {@code String(value)} renders it, compared with
 * the resolved values; a filter fails when its column is not in the delta or its claim is missing.
 */
final class CompiledRules implements RowFilter {
  /** A bucket's table set ({@code null}: every table) and its filters, all of which must hold. */
  private record CompiledBucket(Set<String> tables, List<CompiledFilter> filters) {
    boolean matches(RowDelta delta) {
      if (tables != null && !tables.contains(delta.table())) {
        return false;
      }
      for (CompiledFilter filter : filters) {
        if (!filter.matches(delta)) {
          return false;
        }
      }
      return true;
    }
  }

  private record CompiledFilter(String column, Predicate<String> test) {
    boolean matches(RowDelta delta) {
      for (ColumnValue value : delta.columns()) {
        if (value.column().equals(column)) { // the first column of that name, as LakeSync's find()
          return test.test(JsText.of(value.json()));
        }
      }
      return false;
    }
  }

  /** Matches nothing: every bucket needs a claim the client does not have. */
  private static final RowFilter NOTHING = delta -> false;

  private final List<CompiledBucket> buckets;

  private CompiledRules(List<CompiledBucket> buckets) {
    this.buckets = buckets;
  }

  static RowFilter compile(SyncRules rules, Map<String, List<String>> claims) {
    List<CompiledBucket> buckets = new ArrayList<>(rules.buckets().size());
    for (SyncRules.Bucket bucket : rules.buckets()) {
      List<CompiledFilter> filters = new ArrayList<>(bucket.filters().size());
      boolean satisfiable = true;
      for (SyncRules.Filter filter : bucket.filters()) {
        List<String> values = resolve(filter.value(), claims);
        if (values.isEmpty()) {
          satisfiable = false; // a missing claim fails its filter whatever the delta holds
          break;
        }
        filters.add(new CompiledFilter(filter.column(), test(filter.op(), values)));
      }
      if (!satisfiable) {
        continue;
      }
      if (bucket.tables().isEmpty() && filters.isEmpty()) {
        return RowFilter.ALL;
      }
      buckets.add(new CompiledBucket(bucket.tables().isEmpty() ? null : Set.copyOf(bucket.tables()), filters));
    }
    return buckets.isEmpty() ? NOTHING : new CompiledRules(List.copyOf(buckets));
  }

  /** A literal stands for itself; {@code jwt:<claim>} for the claim's values (none when it is missing). */
  static List<String> resolve(String value, Map<String, List<String>> claims) {
    if (!value.startsWith(SyncRules.Filter.CLAIM_PREFIX)) {
      return List.of(value);
    }
    List<String> claim = claims.get(value.substring(SyncRules.Filter.CLAIM_PREFIX.length()));
    return claim == null ? List.of() : claim;
  }

  /** eq and in: one of the values; neq: none of them; the orderings compare with the first. */
  private static Predicate<String> test(SyncRules.Op op, List<String> values) {
    Set<String> set = values.size() == 1 ? null : new HashSet<>(values);
    String first = values.get(0);
    return switch (op) {
      case EQ, IN -> set == null ? first::equals : set::contains;
      case NEQ -> set == null ? value -> !first.equals(value) : value -> !set.contains(value);
      case GT -> value -> JsText.compare(value, first) > 0;
      case LT -> value -> JsText.compare(value, first) < 0;
      case GTE -> value -> JsText.compare(value, first) >= 0;
      case LTE -> value -> JsText.compare(value, first) <= 0;
    };
  }

  @Override
  public boolean allows(RowDelta delta) {
    for (CompiledBucket bucket : buckets) {
      if (bucket.matches(delta)) {
        return true;
      }
    }
    return false;
  }
}
