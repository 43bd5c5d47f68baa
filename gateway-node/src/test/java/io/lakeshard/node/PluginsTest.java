package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.lakeshard.core.action.ActionHandler;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginsTest {
  private static List<ActionHandler> load(Object names) {
    return Plugins.load(ConfigFactory.parseMap(Map.of("handlers", names)), "handlers", ActionHandler.class);
  }

  /** A handler class without a no-arg constructor. */
  public static final class NeedsArgument extends java.util.AbstractList<String> {
    public NeedsArgument(String argument) {}

    @Override
    public String get(int index) {
      throw new IndexOutOfBoundsException();
    }

    @Override
    public int size() {
      return 0;
    }
  }

  @Test
  void aListOrACommaSeparatedStringNamesTheClasses() {
    String name = TestActionHandler.class.getName();
    assertThat(load(List.of(name))).singleElement().isInstanceOf(TestActionHandler.class);
    assertThat(load(" " + name + " , " + name)).hasSize(2);
    assertThat(load("")).isEmpty();
    assertThat(load(List.of())).isEmpty();
  }

  @Test
  void aClassThatCannotServeStopsTheStart() {
    assertThatThrownBy(() -> load("com.example.Missing")).hasMessageContaining("no class com.example.Missing");
    assertThatThrownBy(() -> load(String.class.getName())).hasMessageContaining("is not a " + ActionHandler.class.getName());
    assertThatThrownBy(() -> Plugins.load(ConfigFactory.parseMap(Map.of("p", NeedsArgument.class.getName())), "p",
        java.util.List.class)).hasMessageContaining("public no-arg constructor");
  }
}
