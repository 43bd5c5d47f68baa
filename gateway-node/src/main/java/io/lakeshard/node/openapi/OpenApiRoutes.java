package io.lakeshard.node.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.PathMatcher0;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The node's OpenAPI documents, kept as YAML in {@code resources/openapi/} and served without
 * auth: as written, and as JSON converted once at start (LakeSync serves its own at {@code
 * /v1/openapi.json}). The router's listener forwards every path, so its document is served here.
 */
public final class OpenApiRoutes {
  /** RFC 9512's type for YAML. */
  private static final ContentType YAML =
      ContentTypes.create(MediaTypes.applicationWithFixedCharset("yaml", HttpCharsets.UTF_8, "yaml"));

  /** A document as both answers: {@code yamlPath} and {@code jsonPath} without their leading slash. */
  private record Document(String yamlPath, String jsonPath, byte[] yaml, byte[] json) {}

  private final List<Document> documents;

  private OpenApiRoutes(List<Document> documents) {
    this.documents = documents;
  }

  /** Reads and converts the documents; a missing or malformed one fails the start. */
  public static OpenApiRoutes load() {
    return new OpenApiRoutes(List.of(
        document("openapi/lakeshard.yaml", "openapi.yaml", "v1/openapi.json"),
        document("openapi/router.yaml", "openapi/router.yaml", "v1/openapi/router.json")));
  }

  public Route routes() {
    Route[] routes = documents.stream().map(OpenApiRoutes::served).toArray(Route[]::new);
    return Directives.concat(routes[0], Arrays.copyOfRange(routes, 1, routes.length));
  }

  private static Route served(Document document) {
    return Directives.concat(
        Directives.path(matcher(document.yamlPath()), () -> Directives.get(() ->
            Directives.complete(HttpResponse.create().withEntity(YAML, document.yaml())))),
        Directives.path(matcher(document.jsonPath()), () -> Directives.get(() ->
            Directives.complete(HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, document.json())))));
  }

  private static Document document(String resource, String yamlPath, String jsonPath) {
    try (InputStream in = OpenApiRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the node's resources");
      }
      byte[] yaml = in.readAllBytes();
      JsonNode tree = new YAMLMapper().readTree(yaml);
      return new Document(yamlPath, jsonPath, yaml, new ObjectMapper().writeValueAsBytes(tree));
    } catch (IOException e) {
      throw new IllegalStateException(resource + " is no readable YAML: " + e.getMessage(), e);
    }
  }

  /** A path of fixed segments, {@code a/b.c}. */
  private static PathMatcher0 matcher(String path) {
    String[] segments = path.split("/");
    PathMatcher0 matcher = PathMatchers.segment(segments[0]);
    for (int i = 1; i < segments.length; i++) {
      matcher = matcher.slash(segments[i]);
    }
    return matcher;
  }
}
