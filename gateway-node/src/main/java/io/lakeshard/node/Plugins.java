package io.lakeshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * User classes a node loads at start from a config list of class names (action handlers; the
 * same way for any later extension point), each made once with its public no-arg constructor.
 * A name that does not load, is not a {@code type}, or cannot be made stops the node at start.
 */
final class Plugins {
  private Plugins() {}

  static <T> List<T> load(Config config, String path, Class<T> type) {
    List<T> plugins = new ArrayList<>();
    for (String name : classNames(config, path)) {
      try {
        Class<?> loaded = Class.forName(name, true, Plugins.class.getClassLoader());
        if (!type.isAssignableFrom(loaded)) {
          throw new IllegalArgumentException(path + ": " + name + " is not a " + type.getName());
        }
        plugins.add(type.cast(loaded.getConstructor().newInstance()));
      } catch (ClassNotFoundException e) {
        throw new IllegalArgumentException(path + ": no class " + name + " on the classpath", e);
      } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
        throw new IllegalArgumentException(path + ": " + name + " needs a public no-arg constructor", e);
      } catch (InvocationTargetException e) {
        throw new IllegalArgumentException(path + ": the constructor of " + name + " failed: "
            + e.getCause(), e.getCause());
      }
    }
    return plugins;
  }

  /** A HOCON list, or one comma-separated string (what an environment variable gives). */
  private static List<String> classNames(Config config, String path) {
    if (config.getValue(path).valueType() == ConfigValueType.STRING) {
      return Arrays.stream(config.getString(path).split(",")).map(String::trim).filter(name -> !name.isEmpty())
          .toList();
    }
    return config.getStringList(path);
  }
}
