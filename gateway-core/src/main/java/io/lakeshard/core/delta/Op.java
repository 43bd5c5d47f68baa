package io.lakeshard.core.delta;

public enum Op {
  INSERT,
  UPDATE,
  DELETE
}
