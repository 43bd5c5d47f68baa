package io.lakeshard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** {@code --json}: an admin answer as the node's JSON (one line), else as aligned text tables. */
final class Output {
  @Option(names = "--json", description = "Print the node's JSON answer as it is (one line).")
  boolean json;

  /** {@code answer} as its one JSON line with {@code --json}, else as {@code text} writes it. */
  void print(PrintWriter out, JsonNode answer, Consumer<PrintWriter> text) {
    if (json) {
      out.println(Api.line(answer));
    } else {
      text.accept(out);
    }
  }

  /** One table: a heading line, then the rows' {@code fields} of each element of {@code rows}, aligned. */
  static void table(PrintWriter out, String title, JsonNode rows, String... fields) {
    out.println(title + " (" + rows.size() + ")");
    if (rows.isEmpty()) {
      return;
    }
    List<String[]> lines = new ArrayList<>();
    lines.add(fields);
    for (JsonNode row : rows) {
      String[] cells = new String[fields.length];
      for (int i = 0; i < fields.length; i++) {
        JsonNode cell = row.path(fields[i]);
        cells[i] = cell.isMissingNode() || cell.isNull() ? "-" : cell.isValueNode() ? cell.asText() : Api.line(cell);
      }
      lines.add(cells);
    }
    int[] widths = new int[fields.length];
    for (String[] line : lines) {
      for (int i = 0; i < line.length; i++) {
        widths[i] = Math.max(widths[i], line[i].length());
      }
    }
    for (String[] line : lines) {
      StringBuilder text = new StringBuilder(" ");
      for (int i = 0; i < line.length; i++) {
        text.append(' ').append(i == line.length - 1 ? line[i] : String.format("%-" + widths[i] + "s", line[i]));
      }
      out.println(text.toString().stripTrailing());
    }
  }
}
