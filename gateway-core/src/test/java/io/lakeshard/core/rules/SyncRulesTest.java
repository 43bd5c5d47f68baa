package io.lakeshard.core.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import io.lakeshard.core.rules.SyncRules.Bucket;
import io.lakeshard.core.rules.SyncRules.Filter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sync rules evaluated as LakeSync's packages/core sync-rules evaluator does. */
class SyncRulesTest {
  private static RowDelta delta(String table, String column, String json) {
    return new RowDelta(Op.INSERT, table, "r", "c", List.of(new ColumnValue(column, json)), 1, "id");
  }

  private static RowFilter one(SyncRules.Op op, String value, Map<String, List<String>> claims) {
    return new SyncRules(1, List.of(new Bucket("b", List.of(), List.of(new Filter("v", op, value))))).forClaims(claims);
  }

  private static boolean allows(SyncRules.Op op, String filterValue, String columnJson) {
    return one(op, filterValue, Map.of()).allows(delta("t", "v", columnJson));
  }

  @Test
  void eqAndInMatchTheColumnValueAsJavaScriptPrintsIt() {
    assertThat(allows(SyncRules.Op.EQ, "acme", "\"acme\"")).isTrue();
    assertThat(allows(SyncRules.Op.EQ, "acme", "\"Acme\"")).isFalse();
    assertThat(allows(SyncRules.Op.EQ, "42", "42")).isTrue();
    assertThat(allows(SyncRules.Op.EQ, "42", "42.0")).as("String(42.0) is \"42\"").isTrue();
    assertThat(allows(SyncRules.Op.EQ, "true", "true")).isTrue();
    assertThat(allows(SyncRules.Op.EQ, "null", "null")).isTrue();
    assertThat(allows(SyncRules.Op.EQ, "1,a", "[1,\"a\"]")).isTrue();
    assertThat(allows(SyncRules.Op.EQ, "[object Object]", "{\"a\":1}")).isTrue();
    assertThat(allows(SyncRules.Op.IN, "acme", "\"acme\"")).isTrue();
    assertThat(allows(SyncRules.Op.IN, "acme,beta", "\"acme\"")).as("a literal is one value, not a list").isFalse();
  }

  @Test
  void neqHoldsWhenTheValueIsNoneOfTheValues() {
    assertThat(allows(SyncRules.Op.NEQ, "acme", "\"beta\"")).isTrue();
    assertThat(allows(SyncRules.Op.NEQ, "acme", "\"acme\"")).isFalse();
    RowFilter notMine = one(SyncRules.Op.NEQ, "jwt:orgs", Map.of("orgs", List.of("a", "b")));
    assertThat(notMine.allows(delta("t", "v", "\"b\""))).isFalse();
    assertThat(notMine.allows(delta("t", "v", "\"c\""))).isTrue();
  }

  @Test
  void orderingsCompareNumbersWhenBothSidesParseAndTextOtherwise() {
    assertThat(allows(SyncRules.Op.GT, "9", "10")).as("10 > 9 as numbers").isTrue();
    assertThat(allows(SyncRules.Op.GT, "9", "\"10\"")).as("a numeric string is a number too").isTrue();
    assertThat(allows(SyncRules.Op.GT, "10", "\"12px\"")).as("parseFloat reads the leading number").isTrue();
    assertThat(allows(SyncRules.Op.LT, "b", "\"a\"")).isTrue();
    assertThat(allows(SyncRules.Op.LT, "B", "\"a\"")).as("locale order, not code points").isTrue();
    assertThat(allows(SyncRules.Op.GT, "abc", "\"10\"")).as("text when one side is not a number: \"10\" < \"abc\"")
        .isFalse();
    assertThat(allows(SyncRules.Op.GTE, "5", "5")).isTrue();
    assertThat(allows(SyncRules.Op.GTE, "5", "4.5")).isFalse();
    assertThat(allows(SyncRules.Op.LTE, "5", "5.0")).isTrue();
    assertThat(allows(SyncRules.Op.LTE, "5", "6")).isFalse();
    assertThat(allows(SyncRules.Op.LT, "2026-01-01", "\"2025-12-31\"")).as("parseFloat(\"2025-12-31\") is 2025")
        .isTrue();
  }

  @Test
  void orderingsWithAListClaimCompareWithItsFirstValue() {
    RowFilter above = one(SyncRules.Op.GT, "jwt:levels", Map.of("levels", List.of("3", "100")));
    assertThat(above.allows(delta("t", "v", "4"))).isTrue();
    assertThat(above.allows(delta("t", "v", "2"))).isFalse();
  }

  @Test
  void inWithAListClaimMatchesAnyOfItsValues() {
    RowFilter mine = one(SyncRules.Op.IN, "jwt:orgs", Map.of("orgs", List.of("acme", "beta")));
    assertThat(mine.allows(delta("t", "v", "\"beta\""))).isTrue();
    assertThat(mine.allows(delta("t", "v", "\"gamma\""))).isFalse();
    RowFilter eqList = one(SyncRules.Op.EQ, "jwt:orgs", Map.of("orgs", List.of("acme", "beta")));
    assertThat(eqList.allows(delta("t", "v", "\"acme\""))).as("eq also takes any value of a list").isTrue();
  }

  @Test
  void aMissingClaimOrColumnFailsTheFilterWhateverTheOperator() {
    for (SyncRules.Op op : SyncRules.Op.values()) {
      assertThat(one(op, "jwt:org", Map.of()).allows(delta("t", "v", "\"x\""))).as(op + " without the claim").isFalse();
      assertThat(one(op, "x", Map.of()).allows(delta("t", "other", "\"y\""))).as(op + " without the column").isFalse();
    }
    assertThat(one(SyncRules.Op.EQ, "jwt:org", Map.of("org", List.of())).allows(delta("t", "v", "\"x\"")))
        .as("an empty list claim resolves to nothing").isFalse();
  }

  @Test
  void aDeltaMatchingAnyBucketPassesAndABucketsTablesLimitIt() {
    SyncRules rules = new SyncRules(1, List.of(
        new Bucket("own", List.of("todos"), List.of(new Filter("owner", SyncRules.Op.EQ, "jwt:sub"))),
        new Bucket("public", List.of("news"), List.of())));
    RowFilter alice = rules.forClaims(Map.of("sub", List.of("alice")));
    assertThat(alice.allows(delta("todos", "owner", "\"alice\""))).isTrue();
    assertThat(alice.allows(delta("todos", "owner", "\"bob\""))).isFalse();
    assertThat(alice.allows(delta("news", "anything", "1"))).as("the second bucket").isTrue();
    assertThat(alice.allows(delta("notes", "owner", "\"alice\""))).as("in no bucket's tables").isFalse();
  }

  @Test
  void everyFilterOfABucketMustHold() {
    SyncRules rules = new SyncRules(1, List.of(new Bucket("b", List.of(), List.of(
        new Filter("org", SyncRules.Op.EQ, "jwt:org"), new Filter("n", SyncRules.Op.GTE, "10")))));
    RowFilter filter = rules.forClaims(Map.of("org", List.of("acme")));
    RowDelta both = new RowDelta(Op.INSERT, "t", "r", "c",
        List.of(new ColumnValue("org", "\"acme\""), new ColumnValue("n", "12")), 1, "id");
    RowDelta oneOnly = new RowDelta(Op.INSERT, "t", "r", "c",
        List.of(new ColumnValue("org", "\"acme\""), new ColumnValue("n", "2")), 1, "id");
    assertThat(filter.allows(both)).isTrue();
    assertThat(filter.allows(oneOnly)).isFalse();
  }

  @Test
  void noBucketsOrAnUnrestrictedBucketFilterNothing() {
    assertThat(new SyncRules(1, List.of()).forClaims(Map.of())).isSameAs(RowFilter.ALL);
    assertThat(new SyncRules(1, List.of(new Bucket("all", List.of(), List.of()))).forClaims(null))
        .isSameAs(RowFilter.ALL);
  }

  @Test
  void javaScriptNumberTextAndParseFloat() {
    assertThat(JsText.number(1e21)).isEqualTo("1e+21");
    assertThat(JsText.number(1.5e-7)).isEqualTo("1.5e-7");
    assertThat(JsText.number(0.000001)).isEqualTo("0.000001");
    assertThat(JsText.number(-2.5)).isEqualTo("-2.5");
    assertThat(JsText.number(123456789012345680000.0)).isEqualTo("123456789012345680000");
    assertThat(JsText.of("-0")).isEqualTo("0");
    assertThat(JsText.of("\"caf\\u00e9\"")).isEqualTo("café");
    assertThat(JsText.parseFloat("  -3.5e2x")).isEqualTo(-350);
    assertThat(JsText.parseFloat("Infinity")).isInfinite();
    assertThat(JsText.parseFloat(".5")).isEqualTo(0.5);
    assertThat(JsText.parseFloat("1e")).isEqualTo(1);
    assertThat(JsText.parseFloat("abc")).isNaN();
    assertThat(JsText.parseFloat("")).isNaN();
  }
}
