package io.lakeshard.node.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBackendsTest {
  @TempDir
  Path dir;

  @Test
  void urlVariablesNameBackendsAsTheSpecDoes() {
    Map<String, Backend> backends = LocalBackends.read(ConfigFactory.empty(), Map.of(
        "BACKEND_BUN_SQLITE_URL", "http://127.0.0.1:3001/",
        "BACKEND_JAVA_SPRING_BOOT_URL", "http://127.0.0.1:3007",
        "BACKEND_NO_URL_AUTH", "ignored",
        "PATH", "/usr/bin"));
    assertThat(backends).containsOnlyKeys("bun-sqlite", "java-spring-boot");
    Backend bun = backends.get("bun-sqlite");
    assertThat(bun.url()).isEqualTo("http://127.0.0.1:3001");
    assertThat(bun.name()).isEqualTo("bun-sqlite");
    assertThat(bun.healthPath()).isEqualTo("/health");
    assertThat(bun.credential()).isEmpty();
  }

  @Test
  void theFileGivesNamesAndHealthPathsAndTheVariableWinsForTheUrl() throws Exception {
    Path file = Files.writeString(dir.resolve("backends.conf"),
        "{ \"bun-sqlite\": { \"url\": \"http://old:1\", \"name\": \"Bun + SQLite\", \"health-path\": \"/up\" },"
            + " \"rails\": { url = \"http://127.0.0.1:3002\", type = ruby } }");
    Map<String, Backend> backends = LocalBackends.read(LocalBackends.file(file.toString()),
        Map.of("BACKEND_BUN_SQLITE_URL", "http://127.0.0.1:3001"));
    assertThat(backends.get("bun-sqlite")).isEqualTo(
        new Backend("bun-sqlite", "Bun + SQLite", "http://127.0.0.1:3001", "http", "/up", Optional.empty()));
    assertThat(backends.get("rails").type()).isEqualTo("ruby");
  }

  @Test
  void credentialsComeFromASecretFileOrAVariableAndAreNeverPrinted() throws Exception {
    Path secret = Files.writeString(dir.resolve("token"), "Bearer from-file\n");
    Map<String, Backend> backends = LocalBackends.read(ConfigFactory.empty(), Map.of(
        "BACKEND_A_URL", "http://127.0.0.1:1", "BACKEND_A_AUTH_FILE", secret.toString(),
        "BACKEND_B_URL", "http://127.0.0.1:2", "BACKEND_B_AUTH", "key-from-env", "BACKEND_B_AUTH_HEADER", "X-Api-Key"));
    assertThat(backends.get("a").credential()).hasValue(new Backend.Credential("Authorization", "Bearer from-file"));
    assertThat(backends.get("b").credential()).hasValue(new Backend.Credential("X-Api-Key", "key-from-env"));
    assertThat(backends.toString()).doesNotContain("from-file", "key-from-env");
  }

  @Test
  void badEntriesFailAtStartNamingTheBackend() {
    assertThatThrownBy(() -> LocalBackends.read(ConfigFactory.parseString("x { name = X }"), Map.of()))
        .hasMessageContaining("backend x has no url");
    assertThatThrownBy(() -> LocalBackends.read(ConfigFactory.empty(), Map.of("BACKEND_X_URL", "ftp://h")))
        .hasMessageContaining("http(s)://");
    assertThatThrownBy(() -> LocalBackends.read(ConfigFactory.empty(), Map.of("BACKEND_X_URL", "http://user:pw@h")))
        .hasMessageContaining("http(s)://").hasMessageNotContaining("pw@");
    assertThatThrownBy(() -> LocalBackends.read(ConfigFactory.empty(),
        Map.of("BACKEND_X_URL", "http://h", "BACKEND_X_AUTH_FILE", "/nonexistent/secret")))
        .hasMessageContaining("backend x").hasMessageContaining("/nonexistent/secret");
  }

  @Test
  void aClusterEntryNamesOnlyBackendVariablesAndReadsThemOnEachNode() {
    RegisteredBackend entry = new RegisteredBackend("shop", "Shop", "http://127.0.0.1:1", "http", "/health",
        "X-Api-Key", "BACKEND_SHOP_KEY");
    assertThat(entry.toBackend(Map.of("BACKEND_SHOP_KEY", "k")).credential())
        .hasValue(new Backend.Credential("X-Api-Key", "k"));
    assertThat(entry.toBackend(Map.of()).credential()).isEmpty();
    assertThatThrownBy(() -> new RegisteredBackend("shop", "Shop", "http://127.0.0.1:1", "http", "/health",
        "Authorization", "LAKESHARD_JWT_SECRET")).hasMessageContaining("BACKEND_*");
  }
}
