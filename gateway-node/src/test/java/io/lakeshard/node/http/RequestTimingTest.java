package io.lakeshard.node.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

/** When a request is timed, and what its Server-Timing value says. */
class RequestTimingTest {
  private static final HttpRequest PLAIN = HttpRequest.create("/v1/sync/g/pull");

  @Test
  void byDefaultOnlyARequestWithTheHeaderIsTimed() {
    ServerTiming timing = ServerTiming.fromConfig(ConfigFactory.parseMap(Map.of("lakeshard.http.debug-timing", "header")));
    assertThat(timing.start(PLAIN)).isEmpty();
    assertThat(timing.start(PLAIN.addHeader(RawHeader.create("X-Debug-Timing", "0")))).isEmpty();
    assertThat(timing.start(PLAIN.addHeader(RawHeader.create("X-Debug-Timing", "1")))).isPresent();
  }

  @Test
  void alwaysTimesEveryRequest() {
    ServerTiming timing = ServerTiming.fromConfig(ConfigFactory.parseMap(Map.of("lakeshard.http.debug-timing", "always")));
    assertThat(timing.start(PLAIN)).isPresent();
  }

  @Test
  void anUnknownModeIsRefusedWithTheSettingsName() {
    assertThatThrownBy(() -> ServerTiming.fromConfig(ConfigFactory.parseMap(Map.of("lakeshard.http.debug-timing", "on"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("LAKESHARD_DEBUG_TIMING").hasMessageContaining("'on'");
  }

  @Test
  void routeIsWhatTheEntityAndLakeLeaveAndOnlyAppliedPartsAreListed() {
    RequestTiming timing = new RequestTiming(System.nanoTime() - 10_000_000); // started 10 ms ago
    timing.add(RequestTiming.Part.ENTITY, 6_000_000);
    timing.add(RequestTiming.Part.JOURNAL, 4_500_000);
    String header = timing.header();
    assertThat(header).matches("route;dur=\\d+\\.\\d{3}, entity;dur=6\\.000, journal;dur=4\\.500");
    double route = Double.parseDouble(header.substring("route;dur=".length(), header.indexOf(',')));
    assertThat(route).as("10 ms and more, less the entity's 6 ms").isGreaterThanOrEqualTo(4.0).isLessThan(1_000);

    RequestTiming lakeOnly = new RequestTiming(System.nanoTime());
    lakeOnly.add(RequestTiming.Part.LAKE, 0);
    assertThat(lakeOnly.header()).matches("route;dur=\\d+\\.\\d{3}, lake;dur=0\\.000");
  }
}
