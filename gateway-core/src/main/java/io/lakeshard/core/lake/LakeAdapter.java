package io.lakeshard.core.lake;

import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * Object storage for flushed data: the local lake directory in the embedded default, S3/R2/MinIO
 * in production. Calls block; entities run them off the actor and get the result as a message.
 */
public interface LakeAdapter {

  /** What {@link #head} knows of an object. */
  record ObjectInfo(String key, long size, Instant lastModified) {}

  /**
   * Where keys live, as a URI ending in '/' ({@code file:///…/lake/}, {@code s3://bucket/}): the
   * object {@code k} is {@code uri() + k}, the location other readers (Spark, Trino) use.
   */
  String uri();

  void put(String key, byte[] data, String contentType) throws LakeException;

  byte[] get(String key) throws LakeException;

  /**
   * The object's bytes as a stream, for a reader that passes them on rather than holding them
   * whole (the image route); the caller closes it. A failure while reading is an IOException.
   */
  InputStream open(String key) throws LakeException;

  ObjectInfo head(String key) throws LakeException;

  /** Every key under {@code prefix}, in lexicographic order, however many pages the store needs. */
  List<String> list(String prefix) throws LakeException;

  /** Deleting a missing key is not an error. */
  void delete(String key) throws LakeException;

  void deleteAll(Collection<String> keys) throws LakeException;
}
