package io.lakeshard.node.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageKeyTest {
  @Test
  void aFreshKeyIsAUuidUnderCoversWithTheFormatsExtension() {
    ImageKey key = ImageKey.fresh(ImageFormat.WEBP);
    assertThat(key.path()).matches("covers/[0-9a-f-]{36}\\.webp");
    assertThat(ImageKey.parse(key.path())).hasValue(key);
  }

  @Test
  void keysWorkSquaredWroteWithTheFilesOwnExtensionAreRead() {
    ImageKey key = ImageKey.parse("covers/abc_1-2.JPEG").orElseThrow();
    assertThat(key.format()).isEqualTo(ImageFormat.JPEG);
    assertThat(key.path()).as("the stored key as it is").isEqualTo("covers/abc_1-2.JPEG");
  }

  @ParameterizedTest
  @ValueSource(strings = {"covers/../x.png", "covers/..", "covers/%2e%2e.png", "covers/a%2fb.png", "covers/a/b.png",
      "covers\\a.png", "/covers/a.png", "covers//a.png", "x.png", "covers/a.svg", "covers/a", "covers/.png",
      "journal/a.png", "covers/a.png/"})
  void anythingButOnePlainNameUnderCoversIsNoKey(String requested) {
    assertThat(ImageKey.parse(requested)).isEmpty();
  }

  @Test
  void formatsAreToldByTheirSignatureOnly() {
    assertThat(ImageFormat.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0x01})).hasValue(ImageFormat.JPEG);
    assertThat(ImageFormat.sniff("GIF87a...".getBytes(StandardCharsets.US_ASCII))).hasValue(ImageFormat.GIF);
    assertThat(ImageFormat.sniff("RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII))).hasValue(ImageFormat.WEBP);
    assertThat(ImageFormat.sniff("RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.US_ASCII))).as("a RIFF that is audio").isEmpty();
    assertThat(ImageFormat.sniff("GIF90a".getBytes(StandardCharsets.US_ASCII))).isEmpty();
    assertThat(ImageFormat.sniff("<svg/>".getBytes(StandardCharsets.US_ASCII))).isEmpty();
    assertThat(ImageFormat.sniff(new byte[] {(byte) 0xFF, (byte) 0xD8})).as("cut short").isEmpty();
    assertThat(ImageFormat.sniff(new byte[0])).isEmpty();
  }
}
