package io.lakeshard.node.claims;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * {@link ClaimsVersionMap} between nodes and in the durable store: a count, then each entry
 * as a UTF user id and a long (a delta is a map too). Not Java serialization, and stable: the
 * durable files outlive the code that wrote them, so a change needs a new manifest.
 */
public final class ClaimsVersionMapSerializer extends SerializerWithStringManifest {
  private static final String MANIFEST = "cvm1";

  @Override
  public int identifier() {
    return 1_404_201; // any id unused by Pekko (its own are below 100) and by this node's config
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!(o instanceof ClaimsVersionMap map)) {
      throw new IllegalArgumentException("not a ClaimsVersionMap: " + o.getClass().getName());
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + map.versions().size() * 24);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(map.versions().size());
      for (Map.Entry<String, Long> entry : map.versions().entrySet()) {
        out.writeUTF(entry.getKey());
        out.writeLong(entry.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("unknown ClaimsVersionMap manifest " + manifest);
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int size = in.readInt();
      Map<String, Long> versions = new HashMap<>(Math.max(16, size * 2));
      for (int i = 0; i < size; i++) {
        versions.put(in.readUTF(), in.readLong());
      }
      return new ClaimsVersionMap(Map.copyOf(versions), null);
    } catch (IOException e) {
      throw new NotSerializableException("corrupt ClaimsVersionMap: " + e.getMessage());
    }
  }
}
