package io.lakeshard.node.stream;

import io.lakeshard.core.stream.Stream;
import io.lakeshard.protocol.JsonCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code __registry__} stream: a JSON stream of stream creations and deletions, as change
 * events in the reference server's shape ({@code {"type":"stream","key":id,"value":{...},
 * "headers":{"operation":"insert"}}}, and {@code "delete"} without a value). It is a sharded
 * {@link Stream} like any other, so every node writes to the same one; it is created on first use.
 * A failed write is logged, never turned into a failure of the create or delete it records.
 */
final class StreamRegistry {
  private static final Logger log = LoggerFactory.getLogger(StreamRegistry.class);
  static final String ID = "__registry__";
  private static final String JSON = "application/json";
  private static final String EVENT_TYPE = "stream";

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final boolean enabled;

  StreamRegistry(ActorSystem<?> system, Duration askTimeout, boolean enabled) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.enabled = enabled;
  }

  /** Records that {@code id} was created (durably, now); completes once written or the failure is logged. */
  CompletionStage<Void> created(String id, String contentType) {
    long now = System.currentTimeMillis();
    return record(id, "insert", JsonCodec.write(gen -> {
      gen.writeStartObject();
      gen.writeStringField("type", EVENT_TYPE);
      gen.writeStringField("key", id);
      gen.writeObjectFieldStart("value");
      gen.writeStringField("path", id);
      gen.writeStringField("contentType", contentType);
      gen.writeNumberField("createdAt", now);
      gen.writeEndObject();
      gen.writeObjectFieldStart("headers");
      gen.writeStringField("operation", "insert");
      gen.writeEndObject();
      gen.writeEndObject();
    }));
  }

  /** Records that {@code id} was deleted; completes once written or the failure is logged. */
  CompletionStage<Void> deleted(String id) {
    return record(id, "delete", JsonCodec.write(gen -> {
      gen.writeStartObject();
      gen.writeStringField("type", EVENT_TYPE);
      gen.writeStringField("key", id);
      gen.writeObjectFieldStart("headers");
      gen.writeStringField("operation", "delete");
      gen.writeEndObject();
      gen.writeEndObject();
    }));
  }

  private CompletionStage<Void> record(String id, String operation, byte[] event) {
    if (!enabled) {
      return CompletableFuture.completedFuture(null);
    }
    return append(event)
        .thenCompose(reply -> isNotFound(reply) ? createRegistry().thenCompose(created -> append(event)) : completed(reply))
        .handle((reply, failure) -> {
          if (failure != null) {
            log.warn("could not record the {} of stream {} in {}: {}", operation, id, ID, failure.toString());
          } else if (reply instanceof Stream.Refused refused) {
            log.warn("could not record the {} of stream {} in {}: {} {}", operation, id, ID, refused.reason(),
                refused.message());
          }
          return null;
        });
  }

  private CompletionStage<Stream.AppendReply> append(byte[] event) {
    Stream.AppendSpec spec = new Stream.AppendSpec(event, JSON, null, null, false);
    return registry().ask(replyTo -> new Stream.Append(spec, replyTo), askTimeout);
  }

  /** Creating an existing registry is a no-op, so nodes racing to create it all succeed. */
  private CompletionStage<Stream.CreateReply> createRegistry() {
    Stream.CreateSpec spec = new Stream.CreateSpec(JSON, null, null, false, new byte[0], null);
    return registry().ask(replyTo -> new Stream.Create(spec, null, replyTo), askTimeout);
  }

  private static boolean isNotFound(Stream.AppendReply reply) {
    return reply instanceof Stream.Refused refused && refused.reason() == Stream.Refusal.NOT_FOUND;
  }

  private static CompletionStage<Stream.AppendReply> completed(Stream.AppendReply reply) {
    return CompletableFuture.completedFuture(reply);
  }

  private EntityRef<Stream.Command> registry() {
    return sharding.entityRefFor(Stream.ENTITY_TYPE_KEY, ID);
  }
}
