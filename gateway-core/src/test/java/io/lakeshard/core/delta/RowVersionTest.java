package io.lakeshard.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowVersionTest {

  private static RowDelta delta(Op op, String client, long hlc, String... columnsAndValues) {
    List<ColumnValue> columns = new java.util.ArrayList<>();
    for (int i = 0; i < columnsAndValues.length; i += 2) {
      columns.add(new ColumnValue(columnsAndValues[i], columnsAndValues[i + 1]));
    }
    return new RowDelta(op, "todos", "1", client, columns, hlc, op + client + hlc);
  }

  @Test
  void newerColumnWinsAndOlderColumnLosesPerColumn() {
    RowVersion row = RowVersion.ABSENT.merge(delta(Op.INSERT, "a", 10, "title", "\"x\"", "done", "false")).after();
    RowVersion.Merge update = row.merge(delta(Op.UPDATE, "b", 20, "title", "\"y\""));
    assertThat(update.winning().columns()).extracting(ColumnValue::column).containsExactly("title");

    RowVersion.Merge late = update.after().merge(delta(Op.UPDATE, "c", 15, "title", "\"z\"", "done", "true"));
    assertThat(late.winning().columns()).extracting(ColumnValue::column).containsExactly("done");
  }

  @Test
  void equalHlcIsWonByTheHigherClientId() {
    RowVersion row = RowVersion.ABSENT.merge(delta(Op.INSERT, "m", 10, "title", "\"m\"")).after();
    assertThat(row.merge(delta(Op.UPDATE, "a", 10, "title", "\"a\""))).isNull();
    assertThat(row.merge(delta(Op.UPDATE, "z", 10, "title", "\"z\""))).isNotNull();
  }

  @Test
  void deleteWinsOnlyOverOlderWritesAndOnlyNewerWritesResurrect() {
    RowVersion row = RowVersion.ABSENT.merge(delta(Op.INSERT, "a", 10, "title", "\"x\"")).after();
    assertThat(row.merge(delta(Op.DELETE, "b", 5))).isNull();

    RowVersion deleted = row.merge(delta(Op.DELETE, "b", 20)).after();
    assertThat(deleted.deleted()).isTrue();
    assertThat(deleted.merge(delta(Op.UPDATE, "a", 15, "title", "\"stale\""))).isNull();

    RowVersion.Merge resurrect = deleted.merge(delta(Op.INSERT, "a", 30, "title", "\"back\""));
    assertThat(resurrect).isNotNull();
    assertThat(resurrect.after().deleted()).isFalse();
  }

  @Test
  void columnsAddUpAcrossDeltasAndAnEmptyUpdateWinsNothing() {
    RowVersion row = RowVersion.ABSENT.merge(delta(Op.INSERT, "a", 10, "title", "\"x\"")).after();
    row = row.merge(delta(Op.UPDATE, "b", 11, "done", "true", "rank", "2")).after();
    assertThat(row.columns()).containsOnlyKeys("title", "done", "rank");
    assertThat(row.columns().get("title")).isEqualTo(new RowVersion.Writer(10, "a"));
    assertThat(row.merge(delta(Op.UPDATE, "c", 30))).isNull();
    assertThat(RowVersion.ABSENT.merge(delta(Op.INSERT, "c", 30))).isNotNull();
  }

  @Test
  void snapshotsKeepTheJsonShapeOfEarlierVersions() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    String earlier = "{\"columns\":{\"title\":{\"hlc\":10,\"clientId\":\"a\"},\"done\":{\"hlc\":12,\"clientId\":\"b\"}},"
        + "\"deletedBy\":null}";
    RowVersion row = mapper.readValue(earlier, RowVersion.class);
    assertThat(row.columns()).containsEntry("title", new RowVersion.Writer(10, "a"))
        .containsEntry("done", new RowVersion.Writer(12, "b"));
    assertThat(mapper.readTree(mapper.writeValueAsString(row))).isEqualTo(mapper.readTree(earlier));

    RowVersion deleted = mapper.readValue("{\"columns\":{},\"deletedBy\":{\"hlc\":20,\"clientId\":\"c\"}}",
        RowVersion.class);
    assertThat(deleted.deleted()).isTrue();
    assertThat(deleted.merge(delta(Op.UPDATE, "a", 15, "title", "\"x\""))).isNull();
    assertThat(mapper.readValue(mapper.writeValueAsString(deleted), RowVersion.class)).isEqualTo(deleted);
  }
}
