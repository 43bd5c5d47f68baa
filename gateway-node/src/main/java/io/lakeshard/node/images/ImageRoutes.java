package io.lakeshard.node.images;

import io.lakeshard.core.lake.LakeException;
import io.lakeshard.node.http.JsonBodies;
import io.lakeshard.node.http.JsonErrors;
import io.lakeshard.node.http.RequestBodies;
import io.lakeshard.node.workspace.WorkspaceRefusal;
import io.lakeshard.node.workspace.WorkspaceToken;
import io.lakeshard.node.workspace.WorkspaceTokens;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.Multipart;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work Squared's image routes. {@code POST /api/upload-image} takes a workspace token as bearer
 * and one image — a multipart form's {@code file} field, as Work Squared's web client sends it, or
 * the raw image as the body — of at most {@code maxBytes}, JPEG, PNG, WebP or GIF by its content;
 * it is stored as {@code covers/<uuid>.<ext>} and answered {@code {url, key}}. {@code GET
 * /api/images/<key>} is public and serves it with its type, cached for good (a key never names
 * other bytes). Errors are the node's JSON error bodies.
 */
public final class ImageRoutes extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(ImageRoutes.class);
  /** Room in a multipart body for its boundaries and part headers around a file of the largest size. */
  private static final long MULTIPART_ALLOWANCE = 64 * 1024;
  private static final String FILE_FIELD = "file";
  private static final String IMAGES_PATH = "/api/images";
  private static final String RAW_REQUEST_URI = "Raw-Request-URI";
  /** As Work Squared serves them: a key is a fresh uuid, its bytes never change. */
  private static final RawHeader IMMUTABLE = RawHeader.create("Cache-Control", "public, max-age=31536000, immutable");
  public static final String NO_FILE = "NO_FILE";
  public static final String INVALID_FILE = "INVALID_FILE";
  public static final String INVALID_KEY = "INVALID_KEY";

  /** The upload's answer, as Work Squared's. */
  public record Uploaded(String url, String key) {}

  private final ImagesSettings settings;
  private final ImageStore store;
  private final WorkspaceTokens tokens;
  private final RequestBodies bodies;
  private final Duration readTimeout;
  private final Duration retryAfter;

  /**
   * {@code readTimeout}: how long a body may take to arrive; {@code retryAfter}: the Retry-After
   * of a 503 when the object store fails for now.
   */
  public ImageRoutes(ImagesSettings settings, ImageStore store, WorkspaceTokens tokens, RequestBodies bodies,
                     Duration readTimeout, Duration retryAfter) {
    this.settings = settings;
    this.store = store;
    this.tokens = tokens;
    this.bodies = bodies;
    this.readTimeout = readTimeout;
    this.retryAfter = retryAfter;
  }

  public Route routes() {
    return concat(
        path(PathMatchers.segment("api").slash("upload-image"), () -> errors(() -> post(this::upload))),
        rawPath(path -> path.startsWith(IMAGES_PATH + "/")
            ? errors(() -> get(() -> read(path.substring(IMAGES_PATH.length() + 1))))
            : reject()));
  }

  /**
   * The request's path as the client sent it (the {@code Raw-Request-URI} header, application.conf
   * turns it on): Pekko resolves dot segments before routing, so {@code covers/../../x} would reach
   * no image route at all instead of being refused as a key.
   */
  private Route rawPath(Function<String, Route> inner) {
    return extractRequest(request -> {
      String target = request.getHeader(RAW_REQUEST_URI).map(HttpHeader::value).orElseGet(() -> request.getUri().path());
      int authority = target.indexOf("://");
      String path = authority < 0 ? target : target.substring(Math.max(target.indexOf('/', authority + 3), 0));
      int query = path.indexOf('?');
      return inner.apply(query < 0 ? path : path.substring(0, query));
    });
  }

  private Route errors(Supplier<Route> inner) {
    return JsonErrors.answeringErrors("image", settings.maxBytes(), inner);
  }

  private Route upload() {
    return optionalHeaderValueByName("Authorization", authorization -> {
      WorkspaceTokens.Verdict verdict = tokens.verifyAuthorization(authorization);
      if (verdict instanceof WorkspaceRefusal refusal) {
        log.info("image upload refused: {} ({})", refusal.code(), refusal.message());
        return JsonErrors.error(StatusCodes.UNAUTHORIZED, refusal.code().name(), refusal.message());
      }
      WorkspaceToken user = (WorkspaceToken) verdict;
      return bodies.strict(settings.maxBytes() + MULTIPART_ALLOWANCE, body -> extractRequestEntity(entity ->
          isForm(entity.getContentType().mediaType())
              ? fileField(file -> stored(user, file))
              : stored(user, body)));
    });
  }

  private static boolean isForm(MediaType type) {
    return type.isMultipart() && type.subType().equals("form-data");
  }

  /** The {@code file} field's bytes of the (strict, size-checked) multipart body; 400 NO_FILE without one. */
  private Route fileField(Function<byte[], Route> inner) {
    return extractMaterializer(materializer -> entity(Unmarshaller.entityToMultipartFormData(), form ->
        onSuccess(form.toStrict(readTimeout.toMillis(), materializer), strict -> {
          Optional<byte[]> file = StreamSupport.stream(strict.getStrictParts().spliterator(), false)
              .filter(part -> part.getName().equals(FILE_FIELD))
              .findFirst()
              .map(part -> part.getEntity().getData().toArray());
          return file.map(inner).orElseGet(this::noFile);
        })));
  }

  private Route stored(WorkspaceToken user, byte[] image) {
    if (image.length == 0) {
      return noFile();
    }
    if (image.length > settings.maxBytes()) {
      return JsonErrors.tooLarge(JsonErrors.Family.SYNC, settings.maxBytes());
    }
    Optional<ImageFormat> format = ImageFormat.sniff(image);
    if (format.isEmpty()) {
      log.info("image upload by {} refused: {} bytes that are no JPEG, PNG, WebP or GIF", user.userId(), image.length);
      return JsonErrors.error(StatusCodes.UNSUPPORTED_MEDIA_TYPE, INVALID_FILE,
          "Invalid file type. Allowed: image/jpeg, image/png, image/webp, image/gif (told by the content)");
    }
    return extractUri(uri -> onComplete(store.put(format.get(), image), written -> {
      if (written.isFailure()) {
        return storeFailed("storing an upload", written.failed().get());
      }
      ImageKey key = written.get();
      log.info("image {} ({} bytes) uploaded by {}", key.path(), image.length, user.userId());
      return JsonBodies.complete(StatusCodes.OK, new Uploaded(publicBase(uri) + "/" + key.path(), key.path()));
    }));
  }

  /** The configured public base, else this node's image route on the host the upload came to. */
  private String publicBase(Uri request) {
    return settings.publicBase().orElseGet(() -> request.query(Query.EMPTY).path(IMAGES_PATH).toString());
  }

  private Route read(String requested) {
    Optional<ImageKey> key = ImageKey.parse(requested);
    if (key.isEmpty()) {
      return JsonErrors.error(StatusCodes.BAD_REQUEST, INVALID_KEY,
          "an image key is covers/<name>.<jpg|png|webp|gif>, the name letters, digits, - and _");
    }
    return onComplete(store.find(key.get()), read -> {
      if (read.isFailure()) {
        return storeFailed("reading " + key.get().path(), read.failed().get());
      }
      return read.get()
          .map(image -> complete(HttpResponse.create()
              .withEntity(HttpEntities.create(ContentTypes.create(key.get().format().mediaType()), image.size(),
                  image.bytes()))
              .addHeader(IMMUTABLE)))
          .orElseGet(() -> JsonErrors.error(StatusCodes.NOT_FOUND, JsonErrors.NOT_FOUND, "Image not found"));
    });
  }

  private Route noFile() {
    return JsonErrors.error(StatusCodes.BAD_REQUEST, NO_FILE, "No file provided");
  }

  /** A store that fails for now: 503 with Retry-After; any other failure: 500, logged. */
  private Route storeFailed(String what, Throwable failure) {
    if (failure instanceof LakeException.Transient) {
      log.warn("{} failed for now: {}", what, failure.getMessage());
      return JsonErrors.retryLater(JsonErrors.Family.SYNC, JsonErrors.UNAVAILABLE,
          "the object store failed; retry", retryAfter);
    }
    log.error("{} failed", what, failure);
    return JsonErrors.error(StatusCodes.INTERNAL_SERVER_ERROR, JsonErrors.INTERNAL_ERROR, "internal error");
  }
}
