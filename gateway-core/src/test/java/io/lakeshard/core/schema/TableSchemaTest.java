package io.lakeshard.core.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeshard.core.delta.ColumnValue;
import io.lakeshard.core.delta.Op;
import io.lakeshard.core.delta.RowDelta;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableSchemaTest {
  private static TableSchema parse(String json) throws TableSchema.InvalidSchemaException {
    return TableSchema.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  private static RowDelta delta(ColumnValue... columns) {
    return new RowDelta(Op.UPDATE, "todos", "1", "c", List.of(columns), 1, "id");
  }

  private final TableSchema todos;

  TableSchemaTest() throws TableSchema.InvalidSchemaException {
    todos = parse("{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"},"
        + "{\"name\":\"done\",\"type\":\"boolean\"},{\"name\":\"n\",\"type\":\"number\"},{\"name\":\"meta\",\"type\":\"json\"}]}");
  }

  @Test
  void acceptsSparseDeltasWithValuesOfTheDeclaredTypesAndNulls() {
    assertThat(todos.violation(delta(new ColumnValue("title", "\"x\""), new ColumnValue("n", "-1.5")))).isEmpty();
    assertThat(todos.violation(delta(new ColumnValue("done", "null"), new ColumnValue("meta", "{\"a\":[1]}")))).isEmpty();
  }

  @Test
  void refusesUnknownColumnsAndValuesOfAnotherType() {
    assertThat(todos.violation(delta(new ColumnValue("colour", "\"red\"")))).get().asString().contains("unknown column");
    assertThat(todos.violation(delta(new ColumnValue("done", "\"yes\"")))).get().asString().contains("is boolean");
    assertThat(todos.violation(delta(new ColumnValue("n", "true")))).get().asString().contains("is number");
  }

  @Test
  void evolutionMayOnlyAddColumns() throws TableSchema.InvalidSchemaException {
    TableSchema added = parse("{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"},"
        + "{\"name\":\"done\",\"type\":\"boolean\"},{\"name\":\"n\",\"type\":\"number\"},{\"name\":\"meta\",\"type\":\"json\"},"
        + "{\"name\":\"due\",\"type\":\"string\"}]}");
    assertThat(added.incompatibleWith(todos)).isEmpty();
    TableSchema removed = parse("{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"string\"}]}");
    assertThat(removed.incompatibleWith(todos)).get().asString().contains("cannot remove column");
    TableSchema retyped = parse("{\"table\":\"todos\",\"columns\":[{\"name\":\"title\",\"type\":\"number\"},"
        + "{\"name\":\"done\",\"type\":\"boolean\"},{\"name\":\"n\",\"type\":\"number\"},{\"name\":\"meta\",\"type\":\"json\"}]}");
    assertThat(retyped.incompatibleWith(todos)).get().asString().contains("cannot change column");
  }

  @Test
  void refusesMalformedSchemas() {
    assertThatThrownBy(() -> parse("{\"table\":\"t\",\"columns\":[{\"name\":\"a\",\"type\":\"date\"}]}"))
        .isInstanceOf(TableSchema.InvalidSchemaException.class);
    assertThatThrownBy(() -> parse("{\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}"))
        .hasMessageContaining("needs a table");
    assertThatThrownBy(() -> parse("{\"table\":\"t\",\"columns\":[]}")).hasMessageContaining("at least one column");
    assertThatThrownBy(() -> parse("{\"table\":\"t\",\"columns\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"a\",\"type\":\"json\"}]}"))
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> parse("not json")).hasMessageContaining("invalid schema");
    assertThatThrownBy(() -> parse("{\"table\":\"t\",\"columns\":[{\"name\":\"stamp\",\"type\":\"number\"}]}"))
        .hasMessageContaining("reserved");
    assertThatThrownBy(() -> parse("{\"table\":\"to-dos\",\"columns\":[{\"name\":\"a\",\"type\":\"string\"}]}"))
        .hasMessageContaining("invalid table name");
    assertThatThrownBy(() -> parse("{\"table\":\"t\",\"columns\":[{\"name\":\"due date\",\"type\":\"string\"}]}"))
        .hasMessageContaining("invalid column name");
  }
}
