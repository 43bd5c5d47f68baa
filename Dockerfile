# For users who build with Docker: `docker build -t lakeshard/lakeshard:0.1.0 .` (scripts/image
# builds the same image without Docker: Debian's JRE 17, Jib's layout under /app).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -Dstyle.color=never -pl gateway-node -am package -DskipTests

FROM eclipse-temurin:17-jre
# The StatefulSet runs as 10001:10001 on a read-only root file system; the node writes only its
# data directory and /tmp, both volumes there.
RUN groupadd --gid 10001 lakeshard \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/lakeshard --shell /usr/sbin/nologin lakeshard \
 && mkdir -p /var/lib/lakeshard && chown 10001:10001 /var/lib/lakeshard
COPY --from=build /src/gateway-node/target/lib/ /app/libs/
COPY --from=build /src/gateway-node/target/classes/ /app/classes/
ENV LAKESHARD_DATA_DIR=/var/lib/lakeshard \
    LAKESHARD_HTTP_HOST=0.0.0.0
WORKDIR /var/lib/lakeshard
USER 10001:10001
# http, Pekko remoting, Pekko Management (probes, bootstrap)
EXPOSE 8787 25520 8558
ENTRYPOINT ["java", "-XX:+UseParallelGC", "-cp", "/app/classes:/app/libs/*", "io.lakeshard.node.Main"]
