package io.lakeshard.adapter.r2;

/**
 * Where the lake lives on an S3-compatible store. For Cloudflare R2 the endpoint is
 * {@code https://<account>.r2.cloudflarestorage.com} and the region {@code auto}.
 */
public record S3Settings(String endpoint, String region, String bucket, String accessKey, String secretKey) {}
