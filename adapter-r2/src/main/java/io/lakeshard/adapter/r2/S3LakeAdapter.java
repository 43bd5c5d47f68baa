package io.lakeshard.adapter.r2;

import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.LakeException;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The lake on the S3 API (Cloudflare R2, MinIO, AWS S3) through the MinIO Java client, which
 * pages listings and batches deletes itself.
 */
public final class S3LakeAdapter implements LakeAdapter {
  private static final Set<String> MISSING = Set.of("NoSuchKey", "NoSuchObject");
  private static final Set<String> PERMANENT = Set.of("NoSuchBucket", "AccessDenied", "InvalidAccessKeyId",
      "SignatureDoesNotMatch", "InvalidBucketName", "InvalidArgument");

  private final MinioClient client;
  private final String bucket;

  public S3LakeAdapter(S3Settings settings) {
    this.client = MinioClient.builder()
        .endpoint(settings.endpoint())
        .region(settings.region())
        .credentials(settings.accessKey(), settings.secretKey())
        .build();
    this.bucket = settings.bucket();
  }

  /** Creates the bucket if it does not exist (local servers; production buckets are made by their owners). */
  public void ensureBucket() throws LakeException {
    call("create bucket " + bucket, () -> {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        try {
          client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
        } catch (ErrorResponseException e) {
          // Nodes starting together race to create it: whoever lost finds it made.
          if (!e.errorResponse().code().equals("BucketAlreadyOwnedByYou")) {
            throw e;
          }
        }
      }
      return null;
    });
  }

  @Override
  public String uri() {
    return "s3://" + bucket + "/";
  }

  @Override
  public void put(String key, byte[] data, String contentType) throws LakeException {
    call("put " + key, () -> client.putObject(PutObjectArgs.builder()
        .bucket(bucket).object(key)
        .stream(new ByteArrayInputStream(data), data.length, -1)
        .contentType(contentType)
        .build()));
  }

  @Override
  public byte[] get(String key) throws LakeException {
    return call("get " + key, () -> {
      try (GetObjectResponse response = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
        return response.readAllBytes();
      }
    });
  }

  @Override
  public InputStream open(String key) throws LakeException {
    return call("open " + key, () -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()));
  }

  @Override
  public ObjectInfo head(String key) throws LakeException {
    StatObjectResponse stat = call("head " + key,
        () -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()));
    return new ObjectInfo(key, stat.size(), stat.lastModified().toInstant());
  }

  @Override
  public List<String> list(String prefix) throws LakeException {
    return call("list " + prefix, () -> {
      List<String> keys = new ArrayList<>();
      for (Result<Item> item : client.listObjects(
          ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
        keys.add(item.get().objectName());
      }
      keys.sort(null);
      return keys;
    });
  }

  @Override
  public void delete(String key) throws LakeException {
    call("delete " + key, () -> {
      client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
      return null;
    });
  }

  @Override
  public void deleteAll(Collection<String> keys) throws LakeException {
    if (keys.isEmpty()) {
      return;
    }
    List<DeleteObject> objects = keys.stream().map(DeleteObject::new).toList();
    List<String> failed = call("delete " + keys.size() + " objects", () -> {
      List<String> errors = new ArrayList<>();
      // The client sends the deletes lazily, as the results are read.
      for (Result<DeleteError> result : client.removeObjects(
          RemoveObjectsArgs.builder().bucket(bucket).objects(objects).build())) {
        DeleteError error = result.get();
        if (!MISSING.contains(error.code())) {
          errors.add(error.objectName() + " (" + error.code() + ")");
        }
      }
      return errors;
    });
    if (!failed.isEmpty()) {
      throw new LakeException.Transient("could not delete " + failed, null);
    }
  }

  private interface S3Call<T> {
    T run() throws Exception;
  }

  private static <T> T call(String what, S3Call<T> call) throws LakeException {
    try {
      return call.run();
    } catch (ErrorResponseException e) {
      String code = e.errorResponse().code();
      if (MISSING.contains(code)) {
        throw new LakeException.NotFound(e.errorResponse().objectName());
      }
      if (PERMANENT.contains(code)) {
        throw new LakeException.Permanent(what + " failed: " + code + " " + e.getMessage(), e);
      }
      throw new LakeException.Transient(what + " failed: " + code + " " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new LakeException.Permanent(what + " refused: " + e.getMessage(), e);
    } catch (Exception e) {
      throw new LakeException.Transient(what + " failed: " + e.getMessage(), e);
    }
  }
}
