package io.lakeshard.node.http;

import com.fasterxml.jackson.annotation.JacksonAnnotationsInside;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A {@code long} component holding an unsigned 64-bit HLC, written as a decimal string: JSON
 * numbers lose precision past 2^53 in JavaScript clients, and the top bit would read as negative.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT})
@JacksonAnnotationsInside
@JsonSerialize(using = UnsignedHlc.Serializer.class)
public @interface UnsignedHlc {

  /** The one serializer of unsigned HLCs in response bodies. */
  final class Serializer extends StdSerializer<Long> {
    public Serializer() {
      super(Long.class);
    }

    @Override
    public void serialize(Long hlc, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeString(Long.toUnsignedString(hlc));
    }
  }
}
