package io.lakeshard.core.lake;

/**
 * A failed object-store call, typed by what the caller can do about it: a missing object, a
 * transient failure worth retrying with backoff, or a permanent one (bad key, no permission).
 */
public abstract sealed class LakeException extends Exception
    permits LakeException.NotFound, LakeException.Transient, LakeException.Permanent {

  LakeException(String message, Throwable cause) {
    super(message, cause);
  }

  public static final class NotFound extends LakeException {
    public NotFound(String key) {
      super("no object " + key, null);
    }
  }

  public static final class Transient extends LakeException {
    public Transient(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static final class Permanent extends LakeException {
    public Permanent(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
