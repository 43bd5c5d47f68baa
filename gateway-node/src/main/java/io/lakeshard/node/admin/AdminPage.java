package io.lakeshard.node.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The admin web page at {@code /admin/}: a static page from the node's resources (HTML, CSS and a
 * JavaScript module, no build step) that signs in with an admin token and polls the admin routes,
 * which check the token as for any other caller. Read once at start (a node without its page fails
 * fast) and served with {@code Cache-Control: no-cache}, so a new node version's page is loaded on
 * the next visit, and a Content-Security-Policy that lets the page load from and call only its own
 * origin (no inline script or style, no frames).
 */
public final class AdminPage extends AllDirectives {
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
      + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
      + "frame-ancestors 'none'";
  private static final List<HttpHeader> HEADERS = List.of(
      RawHeader.create("Cache-Control", "no-cache"),
      RawHeader.create("Content-Security-Policy", CONTENT_SECURITY_POLICY),
      RawHeader.create("Referrer-Policy", "no-referrer"));
  private static final String INDEX = "index.html";
  private static final ContentType JAVASCRIPT = ContentTypes.parse("text/javascript; charset=UTF-8");
  private static final ContentType CSS = ContentTypes.parse("text/css; charset=UTF-8");

  /** Each file of the page, by name, as answered. */
  private final Map<String, HttpResponse> files = Map.of(
      INDEX, file(INDEX, ContentTypes.TEXT_HTML_UTF8),
      "admin.js", file("admin.js", JAVASCRIPT),
      "admin.css", file("admin.css", CSS));

  /** {@code /admin} redirects to {@code /admin/}, whose relative links name the other files. */
  public Route routes() {
    return pathPrefix("admin", () -> get(() -> concat(
        pathEnd(() -> redirect(Uri.create("/admin/"), StatusCodes.MOVED_PERMANENTLY)),
        pathSingleSlash(() -> complete(files.get(INDEX))),
        path(PathMatchers.segment(), name -> files.containsKey(name) ? complete(files.get(name)) : reject()))));
  }

  private static HttpResponse file(String name, ContentType type) {
    String resource = "admin-page/" + name;
    try (InputStream in = AdminPage.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the node's resources");
      }
      return HttpResponse.create().withEntity(type, in.readAllBytes()).addHeaders(HEADERS);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + resource, e);
    }
  }
}
