package io.lakeshard.node.stream;

import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * Whether a request carried a Content-Type header. Pekko HTTP gives a body sent without one the
 * type application/octet-stream, the same as an explicit {@code application/octet-stream}; the
 * Durable Streams protocol needs the two apart (missing: 400, another type: 409). So the server's
 * parser gets its own application/octet-stream, equal to the built-in one but marked, which it
 * uses only when a header names that type. An empty body without the header has no content type
 * at all. HTTP/1.x only: HTTP/2's header parsing ignores custom media types (it is not enabled).
 */
public final class ExplicitContentType {
  private static final String MARK = "lakeshard-explicit-content-type";
  private static final MediaType.Binary OCTET_STREAM =
      MediaTypes.customBinary("application", "octet-stream", false, Map.of(), false, MARK);

  private ExplicitContentType() {}

  /** The node's server settings, with the marked application/octet-stream. */
  public static ServerSettings serverSettings(ActorSystem<?> system) {
    ServerSettings settings = ServerSettings.create(system.settings().config());
    return settings.withParserSettings(settings.getParserSettings().withCustomMediaTypes(OCTET_STREAM));
  }

  /** Whether the request that has this entity type sent a Content-Type header. */
  static boolean present(ContentType type) {
    if (type.equals(ContentTypes.NO_CONTENT_TYPE)) {
      return false;
    }
    MediaType media = type.mediaType();
    return !media.equals(MediaTypes.APPLICATION_OCTET_STREAM)
        || ((org.apache.pekko.http.scaladsl.model.MediaType) media).fileExtensions().contains(MARK);
  }
}
