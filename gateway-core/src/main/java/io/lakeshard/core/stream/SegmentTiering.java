package io.lakeshard.core.stream;

import io.lakeshard.core.lake.LakeAdapter;
import io.lakeshard.core.lake.OffActor;
import io.lakeshard.core.retry.RetryState;
import io.lakeshard.core.stream.StreamProtocol.Command;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import io.lakeshard.core.stream.StreamProtocol.SegmentWriteDone;
import io.lakeshard.core.stream.StreamProtocol.SegmentsLoaded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cold part of a stream: when the hot tail's oldest messages become a segment object (one
 * write at a time, retried with backoff), which segments a read needs and which it keeps loaded,
 * and which objects go with the stream. Lake calls run off the actor; their results come back as
 * messages. Owned by the stream's actor; not thread-safe.
 */
final class SegmentTiering {
  private static final Logger log = LoggerFactory.getLogger(SegmentTiering.class);

  private final String streamId;
  private final long segmentBytes;
  private final LakeAdapter lake;
  private final OffActor offActor;
  private final ActorContext<Command> context;
  private final RetryState writeRetry;
  /** The segment being written; one at a time. */
  private Segment sealing;
  /** A failed write's backoff is running: its timer, not new appends, starts the next attempt. */
  private boolean backingOff;
  /** The segments the last cold page needed, with their messages: the next page usually starts in them. */
  private Map<Segment, List<Message>> loaded = Map.of();

  SegmentTiering(String streamId, StreamSettings settings, LakeAdapter lake, OffActor offActor,
                 ActorContext<Command> context) {
    this.streamId = streamId;
    this.segmentBytes = settings.segmentBytes();
    this.lake = lake;
    this.offActor = offActor;
    this.context = context;
    this.writeRetry = new RetryState(settings.segmentBackoff());
  }

  /** The oldest hot messages that make the next segment, once the hot tail holds a segment's worth; else empty. */
  static List<Message> due(StreamState state, long segmentBytes) {
    if (!state.exists || state.hotBytes() < segmentBytes) {
      return List.of();
    }
    List<Message> batch = new ArrayList<>();
    long bytes = 0;
    for (Message message : state.messages) {
      if (bytes >= segmentBytes) {
        break;
      }
      batch.add(message);
      bytes += message.data().length;
    }
    return batch;
  }

  /** Starts writing the next segment when one is due, none is being written and no failed write is backing off. */
  void sealIfDue(StreamState state) {
    if (sealing != null || backingOff) {
      return;
    }
    List<Message> batch = due(state, segmentBytes);
    if (batch.isEmpty()) {
      return;
    }
    long bytes = batch.stream().mapToLong(message -> message.data().length).sum();
    Segment segment = new Segment(state.nextSegmentSeq, StreamSegment.key(streamId, state.nextSegmentSeq),
        batch.get(0).offset(), batch.get(batch.size() - 1).offset(), bytes, batch.size());
    sealing = segment;
    context.pipeToSelf(offActor.run(() -> {
      lake.put(segment.key(), StreamSegment.encode(batch), StreamSegment.CONTENT_TYPE);
      return segment;
    }), (done, error) -> new SegmentWriteDone(segment, error));
  }

  /**
   * The write of {@code segment} ended. On success, whether it belongs in the index (a stream
   * deleted meanwhile does not want it: its object is deleted); on failure the retry is due in the
   * returned delay, which the actor's timer waits for.
   */
  boolean written(StreamState state, Segment segment) {
    sealing = null;
    writeRetry.succeeded();
    if (!state.exists || state.nextSegmentSeq != segment.seq()) {
      delete(List.of(segment.key()));
      return false;
    }
    return true;
  }

  Duration failed(Segment segment, Throwable error) {
    sealing = null;
    backingOff = true;
    Duration delay = writeRetry.failed();
    log.warn("stream {}: writing segment {} ({} messages) failed ({} in a row); retrying in {} ms: {}",
        streamId, segment.key(), segment.count(), writeRetry.failures(), delay.toMillis(), error.toString());
    return delay;
  }

  /** A failed write's backoff is over: try again. */
  void retry(StreamState state) {
    backingOff = false;
    sealIfDue(state);
  }

  /**
   * The entity (re)started: a restart cancelled the backoff's timer, so the retry is due now. A
   * write under way keeps going: its result still comes back to the actor.
   */
  void recovered(StreamState state) {
    retry(state);
  }

  /** The loaded messages of {@code segment}, or null when it is not loaded. */
  List<Message> loaded(Segment segment) {
    return loaded.get(segment);
  }

  Map<Segment, List<Message>> loaded() {
    return loaded;
  }

  boolean allLoaded(List<Segment> needed) {
    return loaded.keySet().containsAll(needed);
  }

  /** Reads the {@code needed} segments not loaded yet off the actor; {@code then} is handled again once they are here. */
  void load(List<Segment> needed, Command then) {
    List<Segment> missing = needed.stream().filter(segment -> !loaded.containsKey(segment)).toList();
    context.pipeToSelf(offActor.run(() -> {
      Map<Segment, List<Message>> read = new LinkedHashMap<>();
      for (Segment segment : missing) {
        List<Message> messages = StreamSegment.decode(lake.get(segment.key()));
        if (messages.size() != segment.count()) {
          throw new IllegalStateException(segment.key() + " holds " + messages.size() + " messages, the index says "
              + segment.count());
        }
        read.put(segment, messages);
      }
      return read;
    }), (read, error) -> new SegmentsLoaded(needed, read, error, then));
  }

  /** Keeps the segments a read needed (and only those) now that they are here. */
  void keep(SegmentsLoaded done) {
    Map<Segment, List<Message>> kept = new LinkedHashMap<>();
    for (Segment segment : done.needed()) {
      List<Message> messages = loaded.containsKey(segment) ? loaded.get(segment) : done.read().get(segment);
      // One dropped meanwhile by another read is simply loaded again when the read is handled.
      if (messages != null) {
        kept.put(segment, messages);
      }
    }
    loaded = kept;
  }

  /** This stream's own segments (a fork's inherited ones belong to its source). */
  List<String> ownKeys(StreamState state) {
    String prefix = StreamSegment.prefix(streamId);
    return state.segments.stream().map(Segment::key).filter(key -> key.startsWith(prefix)).toList();
  }

  /**
   * Best effort, off the actor: an object left behind (a failed delete, a crash) is unreachable,
   * as no index names it and segment numbers are never reused.
   */
  void delete(List<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    offActor.run(() -> {
      lake.deleteAll(keys);
      return keys;
    }).whenComplete((done, error) -> {
      if (error != null) {
        log.warn("stream {}: deleting {} segment objects failed; they stay unreachable: {}",
            streamId, keys.size(), error.toString());
      }
    });
  }
}
