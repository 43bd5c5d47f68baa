package io.lakeshard.core.lake;

import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A lake whose next puts fail on demand (a transient outage); everything else goes to {@code delegate}. */
public final class FailingLake implements LakeAdapter {
  private final LakeAdapter delegate;
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final List<Long> failedAt = new CopyOnWriteArrayList<>();

  public FailingLake(LakeAdapter delegate) {
    this.delegate = delegate;
  }

  /** The next {@code writes} puts fail (transiently). */
  public void failNext(int writes) {
    failedAt.clear();
    failuresLeft.set(writes);
  }

  /** When (nanoTime) each injected failure happened. */
  public List<Long> failedAt() {
    return List.copyOf(failedAt);
  }

  @Override
  public String uri() {
    return delegate.uri();
  }

  @Override
  public void put(String key, byte[] data, String contentType) throws LakeException {
    if (failuresLeft.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
      failedAt.add(System.nanoTime());
      throw new LakeException.Transient("injected: object store unavailable", null);
    }
    delegate.put(key, data, contentType);
  }

  @Override
  public byte[] get(String key) throws LakeException {
    return delegate.get(key);
  }

  @Override
  public InputStream open(String key) throws LakeException {
    return delegate.open(key);
  }

  @Override
  public ObjectInfo head(String key) throws LakeException {
    return delegate.head(key);
  }

  @Override
  public List<String> list(String prefix) throws LakeException {
    return delegate.list(prefix);
  }

  @Override
  public void delete(String key) throws LakeException {
    delegate.delete(key);
  }

  @Override
  public void deleteAll(Collection<String> keys) throws LakeException {
    delegate.deleteAll(keys);
  }
}
