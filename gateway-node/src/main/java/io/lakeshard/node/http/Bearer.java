package io.lakeshard.node.http;

import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.HttpCredentials;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The bearer token of a request: {@code Authorization: Bearer …}, else {@code ?token=} (a
 * browser's WebSocket cannot set headers).
 */
public final class Bearer {
  private Bearer() {}

  public static Route token(Function<Optional<String>, Route> inner) {
    return Directives.optionalHeaderValueByType(Authorization.class, header ->
        Directives.parameterOptional("token", queryToken -> inner.apply(header
            .map(Authorization::credentials)
            .filter(credentials -> credentials.scheme().equalsIgnoreCase("bearer"))
            .map(HttpCredentials::token)
            .or(() -> queryToken))));
  }
}
