package io.lakeshard.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lakeshard.node.auth.JwtAuth;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin page in a real headless Chromium (Debian's chromium and chromium-driver, which
 * scripts/test installs), driven through WebDriver against a real node on 127.0.0.1 with the
 * x-backend router on and one local backend, a JDK HttpServer the test stops. Every step waits
 * for what the page shows (it polls the node every 2 s); the final page is saved as
 * target/admin-page.png.
 */
class AdminPageBrowserTest {
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  /** The longest a step may take: a first flush creates its Iceberg table, 20 s on a busy machine. */
  private static final Duration PAGE_WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GATEWAY = "shop-eu";

  @TempDir
  static Path dir;
  private static EchoUpstreams.Jdk upstream;
  private static LakeshardNode node;
  private static NodeHttp http;
  private static ChromeDriverService service;
  private static ChromeDriver browser;
  private static WebDriverWait await;

  @BeforeAll
  static void start() throws Exception {
    assertThat(new File(CHROMIUM).canExecute()).as(CHROMIUM + ", Debian's chromium (scripts/test installs it)").isTrue();
    assertThat(new File(CHROMEDRIVER).canExecute()).as(CHROMEDRIVER + ", Debian's chromium-driver (scripts/test installs it)").isTrue();
    upstream = new EchoUpstreams.Jdk("inventory");
    node = TestNode.start(dir.resolve("node"), Map.of(
        "lakeshard.http.ask-timeout", "60s",
        "lakeshard.router.port", 0,
        "lakeshard.router.health.interval", "200ms",
        "lakeshard.router.backends.inventory.url", upstream.url(),
        "lakeshard.router.backends.inventory.name", "Inventory API"));
    http = new NodeHttp(node::httpPort, Duration.ofSeconds(70));
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER))
        .usingAnyFreePort()
        .withLogFile(dir.resolve("chromedriver.log").toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    // As root in a closed network: no sandbox, and none of Chromium's own calls home (refused here).
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(PAGE_WAIT).scriptTimeout(PAGE_WAIT);
    // the page re-renders its tables as it polls: a row may be missing still, or its cell replaced
    await = (WebDriverWait) new WebDriverWait(browser, PAGE_WAIT)
        .ignoring(NoSuchElementException.class)
        .ignoring(StaleElementReferenceException.class);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (service != null) {
      service.stop();
    }
    if (node != null) {
      node.stop().toCompletableFuture().join();
    }
    upstream.close();
  }

  /** Each test starts signed out, on a freshly loaded page. */
  @BeforeEach
  void openSignedOut() {
    browser.get(page());
    browser.executeScript("sessionStorage.clear()");
    browser.navigate().refresh();
    await.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-form")));
  }

  @Test
  void aWrongOrNonAdminTokenIsRefusedAndTheRefusalShown() throws Exception {
    String otherSecret = JwtAuth.sign("another-secret-that-is-32-bytes-or-more", "ops", GATEWAY, true,
        Duration.ofMinutes(10), Clock.systemUTC());
    signIn(otherSecret);
    assertThat(refusalShown()).contains("Token refused by the node").contains("401").contains("AUTH_ERROR");
    assertThat(browser.findElement(By.id("dashboard")).isDisplayed()).isFalse();
    assertThat(storedToken()).as("a refused token is not kept").isNull();

    signIn(TestNode.token("someone", GATEWAY));
    assertThat(refusalShown()).contains("not an admin token").contains("403").contains("admin role required");
    assertThat(browser.findElement(By.id("dashboard")).isDisplayed()).isFalse();
    screenshot(Path.of("target", "admin-page-refused.png"));

    // the node, not the page, refuses: the same tokens at the API the page calls
    assertThat(http.get("/v1/admin/cluster", otherSecret).statusCode()).isEqualTo(401);
    assertThat(http.get("/v1/admin/throughput", TestNode.token("someone", GATEWAY)).statusCode()).isEqualTo(403);
  }

  @Test
  void showsTheClusterItsGatewaysStreamsAndBackendsAndFlushesAGateway() throws Exception {
    String admin = TestNode.adminToken("ops", GATEWAY);
    assertThat(http.post("/v1/sync/" + GATEWAY + "/push", TestNode.token("till-1", GATEWAY), NodeHttp.push("till-1",
        List.of(NodeHttp.delta("INSERT", "orders", "till-1", "o-1", NodeHttp.hlcNow(0), "[{\"column\":\"total\",\"value\":12}]"),
            NodeHttp.delta("INSERT", "orders", "till-1", "o-2", NodeHttp.hlcNow(1), "[{\"column\":\"total\",\"value\":30}]"),
            NodeHttp.delta("UPDATE", "orders", "till-1", "o-1", NodeHttp.hlcNow(2), "[{\"column\":\"total\",\"value\":14}]"))))
        .statusCode()).isEqualTo(200);
    JsonNode metrics = JSON.readTree(http.get("/v1/admin/metrics/" + GATEWAY, admin).body());
    assertThat(metrics.path("logSize").asInt()).isEqualTo(3);
    long bufferBytes = metrics.path("byteSize").asLong();
    assertThat(bufferBytes).isPositive();
    assertThat(http.send("PUT", "/v1/stream/orders-feed", "application/json", "[]").statusCode()).isEqualTo(201);
    assertThat(http.send("POST", "/v1/stream/orders-feed", "application/json", "[{\"order\":\"o-1\"}]").statusCode())
        .isEqualTo(204);

    signIn(admin);
    await.until(ExpectedConditions.visibilityOfElementLocated(By.id("dashboard")));
    assertThat(storedToken()).as("kept in this tab's session storage").isEqualTo(admin);
    assertThat(browser.findElement(By.id("who")).getText()).isEqualTo("signed in as ops (admin of " + GATEWAY + ")");

    // the gateway the test pushed to, with its buffer as the node's metrics have it, never flushed
    awaitCell("gateways", GATEWAY, "bufferedDeltas", "3");
    assertThat(cell("gateways", GATEWAY, "bufferedBytes").getAttribute("data-value")).isEqualTo(Long.toString(bufferBytes));
    assertThat(cell("gateways", GATEWAY, "bufferedBytes").getText()).endsWith(" B");
    assertThat(cell("gateways", GATEWAY, "lastFlush").getText()).isEqualTo("never");
    assertThat(cell("gateways", GATEWAY, "backpressure").getText()).isEqualTo("no");
    assertThat(cell("gateways", GATEWAY, "flushFailures").getText()).isEqualTo("0");

    // the one-node cluster, up, holding the gateway's shard
    WebElement member = await.until(driver -> driver.findElement(By.cssSelector("#members tr[data-key]")));
    assertThat(member.getText()).contains("Up").contains("yes");
    await.until(driver -> driver.findElement(By.cssSelector("#nodes td[data-field='gateways']"))
        .getText().equals("1"));

    browser.findElement(By.cssSelector("#gateways tr[data-key='" + GATEWAY + "'] button[data-action='flush']")).click();
    await.until(driver -> cell("gateways", GATEWAY, "lastFlush").getText().startsWith("#1 · "));
    assertThat(cell("gateways", GATEWAY, "bufferedDeltas").getText()).isEqualTo("0");
    assertThat(browser.findElement(By.id("action-result")).getText())
        .startsWith("Flushed " + GATEWAY + ": flush #1, 3 rows");
    assertThat(JSON.readTree(http.get("/v1/admin/metrics/" + GATEWAY, admin).body()).path("lastFlushSeq").asLong())
        .isEqualTo(1);

    // a reload keeps the session (the token is in session storage)
    browser.navigate().refresh();
    awaitCell("gateways", GATEWAY, "bufferedDeltas", "0");
    assertThat(browser.findElement(By.id("sign-in")).isDisplayed()).isFalse();
    assertThat(cell("gateways", GATEWAY, "lastFlush").getText()).startsWith("#1 · ");

    // the stream and its tail
    awaitCell("streams", "orders-feed", "contentType", "application/json");
    assertThat(cell("streams", "orders-feed", "closed").getText()).isEqualTo("open");

    // a push while the page watches shows in the chart's rates
    assertThat(http.post("/v1/sync/" + GATEWAY + "/push", TestNode.token("till-2", GATEWAY), NodeHttp.push("till-2",
        List.of(NodeHttp.delta("INSERT", "orders", "till-2", "o-3", NodeHttp.hlcNow(0), "[]")))).statusCode())
        .isEqualTo(200);
    await.until(driver -> !driver.findElement(By.id("rate-pushes")).getText().matches("–|0\\.0"));
    awaitCell("gateways", GATEWAY, "bufferedDeltas", "1");

    // the user's claims version, bumped from the page
    browser.findElement(By.id("claims-user")).sendKeys("user-42");
    browser.findElement(By.id("claims-bump")).click();
    await.until(ExpectedConditions.textToBe(By.id("action-result"), "Claims version of user-42 is now 1"));
    assertThat(JSON.readTree(http.get("/v1/admin/claims-version/user-42", admin).body()).path("version").asLong())
        .isEqualTo(1);

    // the router's backend: healthy with its latency, then unhealthy once its upstream stops
    awaitCell("backends", "local/inventory", "health", "healthy");
    assertThat(cell("backends", "local/inventory", "latency").getText()).endsWith(" ms");
    upstream.close();
    awaitCell("backends", "local/inventory", "health", "unhealthy");
    assertThat(cell("backends", "local/inventory", "health").getAttribute("class")).contains("unhealthy");
    screenshot(Path.of("target", "admin-page.png"));
  }

  private static String page() {
    return "http://127.0.0.1:" + node.httpPort() + "/admin/";
  }

  private static void signIn(String token) {
    WebElement field = browser.findElement(By.id("token"));
    field.clear();
    field.sendKeys(token);
    browser.findElement(By.id("sign-in-button")).click();
  }

  private static String refusalShown() {
    return await.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-error"))).getText();
  }

  private static String storedToken() {
    return (String) browser.executeScript("return sessionStorage.getItem('lakeshard.adminToken')");
  }

  private static WebElement cell(String table, String key, String field) {
    return browser.findElement(By.cssSelector("#" + table + " tr[data-key='" + key + "'] td[data-field='" + field + "']"));
  }

  /** Waits for the table's row {@code key} to show {@code text} in its cell {@code field}. */
  private static void awaitCell(String table, String key, String field, String text) {
    try {
      await.until(driver -> cell(table, key, field).getText().equals(text));
    } catch (TimeoutException e) {
      throw new AssertionError(table + " row " + key + " did not show " + field + " = " + text + " within "
          + PAGE_WAIT.toSeconds() + " s; the page shows: " + browser.findElement(By.tagName("main")).getText(), e);
    }
  }

  /** The whole page, beyond the window, as Chromium's DevTools capture it. */
  private static void screenshot(Path file) throws Exception {
    long height = (Long) ((JavascriptExecutor) browser).executeScript("return document.documentElement.scrollHeight");
    Map<String, Object> shot = browser.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
        "captureBeyondViewport", true,
        "clip", Map.of("x", 0, "y", 0, "width", 1400, "height", height, "scale", 1)));
    Files.write(file, Base64.getDecoder().decode((String) shot.get("data")));
    assertThat(file).isNotEmptyFile();
  }
}
