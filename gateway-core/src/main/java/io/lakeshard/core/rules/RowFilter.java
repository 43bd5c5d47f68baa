package io.lakeshard.core.rules;

import io.lakeshard.core.delta.RowDelta;

/** Which deltas one client may receive, as its gateway's sync rules and its claims decide. */
@FunctionalInterface
public interface RowFilter {
  /** Every delta: a gateway without rules. Callers test for it to skip filtering altogether. */
  RowFilter ALL = delta -> true;

  boolean allows(RowDelta delta);
}
