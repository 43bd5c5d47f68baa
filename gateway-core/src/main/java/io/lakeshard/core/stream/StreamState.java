package io.lakeshard.core.stream;

import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;
import io.lakeshard.core.CborSerializable;
import io.lakeshard.core.paging.Pages;
import io.lakeshard.core.stream.ProducerFencing.ProducerState;
import io.lakeshard.core.stream.StreamEvent.ForkAttached;
import io.lakeshard.core.stream.StreamEvent.ForkDetached;
import io.lakeshard.core.stream.StreamEvent.MessageAppended;
import io.lakeshard.core.stream.StreamEvent.RegistryChange;
import io.lakeshard.core.stream.StreamEvent.RegistryRecorded;
import io.lakeshard.core.stream.StreamEvent.SegmentSealed;
import io.lakeshard.core.stream.StreamEvent.StreamClosed;
import io.lakeshard.core.stream.StreamEvent.StreamCreated;
import io.lakeshard.core.stream.StreamEvent.StreamDeleted;
import io.lakeshard.core.stream.StreamEvent.StreamSoftDeleted;
import io.lakeshard.core.stream.StreamProtocol.ForkPoint;
import io.lakeshard.core.stream.StreamProtocol.Message;
import io.lakeshard.core.stream.StreamProtocol.Meta;
import io.lakeshard.core.stream.StreamProtocol.Producer;
import io.lakeshard.core.stream.StreamProtocol.Segment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeSet;

/**
 * A stream as its journal has it, and its snapshot: Jackson writes these fields as they are (the
 * names are those of snapshots written before the split, {@code Stream$Snapshot}). Mutable, so an
 * append costs no copy; a snapshot is a {@link #copy()}, as the snapshot store serializes it later,
 * on its own thread. Replaced wholesale by create and delete ({@link #reset()}).
 */
@JsonAutoDetect(fieldVisibility = Visibility.ANY, getterVisibility = Visibility.NONE,
    isGetterVisibility = Visibility.NONE, setterVisibility = Visibility.NONE, creatorVisibility = Visibility.NONE)
public final class StreamState implements CborSerializable {
  boolean exists;
  String contentType;
  Long ttlSeconds;
  String expiresAt;
  boolean closed;
  Producer closedBy;
  ForkPoint fork;
  /** The segment index: the cold part of the stream, in offset order, before {@link #messages}. */
  ArrayList<Segment> segments = new ArrayList<>();
  /** The hot tail. */
  ArrayList<Message> messages = new ArrayList<>();
  String tail = Offsets.ZERO;
  String lastSeq;
  LinkedHashMap<String, ProducerState> producers = new LinkedHashMap<>();
  long lastWriteMillis;
  TreeSet<String> forks = new TreeSet<>();
  boolean softDeleted;
  /** Never reused, not even by a new stream under the same id: a segment key names one content. */
  long nextSegmentSeq;
  /** Registry changes not yet in {@code __registry__}, oldest first; they outlive a delete. */
  ArrayList<RegistryChange> registryOutbox = new ArrayList<>();

  @JsonIgnore
  private transient long hotBytes;
  @JsonIgnore
  private transient Long expiresAtMillis;

  /** The snapshot: the same fields, collections copied (records inside are immutable). */
  StreamState copy() {
    StreamState copy = new StreamState();
    copy.exists = exists;
    copy.contentType = contentType;
    copy.ttlSeconds = ttlSeconds;
    copy.expiresAt = expiresAt;
    copy.closed = closed;
    copy.closedBy = closedBy;
    copy.fork = fork;
    copy.segments = new ArrayList<>(segments);
    copy.messages = new ArrayList<>(messages);
    copy.tail = tail;
    copy.lastSeq = lastSeq;
    copy.producers = new LinkedHashMap<>(producers);
    copy.lastWriteMillis = lastWriteMillis;
    copy.forks = new TreeSet<>(forks);
    copy.softDeleted = softDeleted;
    copy.nextSegmentSeq = nextSegmentSeq;
    copy.registryOutbox = new ArrayList<>(registryOutbox);
    return copy.recovered();
  }

  /** Fills in what is derived, not stored (after Jackson read a snapshot). */
  StreamState recovered() {
    if (registryOutbox == null) {
      registryOutbox = new ArrayList<>();
    }
    hotBytes = messages.stream().mapToLong(message -> message.data().length).sum();
    setExpiresAt(expiresAt);
    return this;
  }

  /** The offset after the last message: a stream's tail is its last hot message, else its last segment, else its start. */
  static String tailOf(String start, List<Segment> segments, List<Message> messages) {
    if (!messages.isEmpty()) {
      return messages.get(messages.size() - 1).offset();
    }
    return segments.isEmpty() ? start : segments.get(segments.size() - 1).last();
  }

  public boolean exists() {
    return exists;
  }

  public String tail() {
    return tail;
  }

  public String contentType() {
    return contentType;
  }

  public boolean closed() {
    return closed;
  }

  public List<Segment> segments() {
    return segments;
  }

  public List<Message> messages() {
    return messages;
  }

  long hotBytes() {
    return hotBytes;
  }

  Meta meta() {
    return new Meta(contentType, tail, closed, ttlSeconds, expiresAt);
  }

  /** Expired by its Stream-Expires-At, or by a TTL counted from the last write or read. */
  boolean expired(long now, long lastReadMillis) {
    if (expiresAtMillis != null && now >= expiresAtMillis) {
      return true;
    }
    return ttlSeconds != null && now >= Math.max(lastWriteMillis, lastReadMillis) + ttlSeconds * 1000;
  }

  /** Index of the first segment holding a message after {@code offset} (null: the beginning), or -1: it is hot. */
  int firstSegmentAfter(String offset) {
    for (int i = 0; i < segments.size(); i++) {
      if (offset == null || segments.get(i).last().compareTo(offset) > 0) {
        return i;
      }
    }
    return -1;
  }

  /** Index of the first hot message after {@code offset} (null: the beginning). */
  int firstAfter(String offset) {
    if (offset == null) {
      return 0;
    }
    return Pages.firstAfter(messages, message -> message.offset().compareTo(offset));
  }

  StreamState apply(StreamEvent event) {
    if (event instanceof StreamCreated created) {
      reset();
      exists = true;
      contentType = created.contentType();
      ttlSeconds = created.ttlSeconds();
      setExpiresAt(created.expiresAt());
      closed = created.closed();
      fork = created.fork();
      // Journaled before segments existed: no segments.
      List<Segment> inherited = created.segments() == null ? List.of() : created.segments();
      segments.addAll(inherited);
      created.messages().forEach(this::addHot);
      tail = tailOf(created.start(), inherited, created.messages());
      lastWriteMillis = created.atMillis();
    } else if (event instanceof MessageAppended appended) {
      addHot(appended.message());
      tail = appended.message().offset();
      if (appended.seq() != null) {
        lastSeq = appended.seq();
      }
      recordProducer(appended.producer(), appended.atMillis());
      if (appended.close()) {
        closed = true;
        closedBy = appended.producer();
      }
      lastWriteMillis = appended.atMillis();
    } else if (event instanceof StreamClosed close) {
      recordProducer(close.producer(), close.atMillis());
      closed = true;
      closedBy = close.producer();
      lastWriteMillis = close.atMillis();
    } else if (event instanceof StreamDeleted) {
      reset();
      // A segment write still under way for the deleted stream must not land under a key the next one uses.
      nextSegmentSeq++;
    } else if (event instanceof SegmentSealed sealed) {
      Segment segment = sealed.segment();
      segments.add(segment);
      List<Message> sealedMessages = messages.subList(0, firstAfter(segment.last()));
      sealedMessages.forEach(message -> hotBytes -= message.data().length);
      sealedMessages.clear();
      nextSegmentSeq = segment.seq() + 1;
    } else if (event instanceof StreamSoftDeleted) {
      softDeleted = true;
    } else if (event instanceof ForkAttached attached) {
      forks.add(attached.fork());
    } else if (event instanceof ForkDetached detached) {
      forks.remove(detached.fork());
    } else if (event instanceof RegistryChange change) {
      registryOutbox.add(change);
    } else if (event instanceof RegistryRecorded recorded && !registryOutbox.isEmpty()
        && (recorded.change() == null || recorded.change().equals(registryOutbox.get(0)))) {
      registryOutbox.remove(0);
    }
    return this;
  }

  private void addHot(Message message) {
    messages.add(message);
    hotBytes += message.data().length;
  }

  private void setExpiresAt(String value) {
    expiresAt = value;
    expiresAtMillis = value == null ? null : ExpiresAt.parse(value).map(Instant::toEpochMilli).orElse(0L);
  }

  private void recordProducer(Producer producer, long atMillis) {
    if (producer != null) {
      producers.put(producer.id(), new ProducerState(producer.epoch(), producer.seq(), atMillis));
    }
  }

  /** Everything but what outlives the stream: the segment numbering and the registry outbox. */
  private void reset() {
    exists = false;
    contentType = null;
    ttlSeconds = null;
    expiresAt = null;
    expiresAtMillis = null;
    closed = false;
    closedBy = null;
    fork = null;
    segments.clear();
    messages.clear();
    hotBytes = 0;
    tail = Offsets.ZERO;
    lastSeq = null;
    producers.clear();
    forks.clear();
    softDeleted = false;
  }
}
