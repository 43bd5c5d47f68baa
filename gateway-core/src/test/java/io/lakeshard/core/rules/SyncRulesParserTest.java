package io.lakeshard.core.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lakeshard.core.rules.SyncRules.Bucket;
import io.lakeshard.core.rules.SyncRules.Filter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks and messages of LakeSync's validateSyncRules. */
class SyncRulesParserTest {
  private static SyncRules parse(String json) throws SyncRulesParser.InvalidSyncRulesException {
    return SyncRulesParser.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  private static void refused(String json, String message) {
    assertThatThrownBy(() -> parse(json)).isInstanceOf(SyncRulesParser.InvalidSyncRulesException.class)
        .hasMessage(message);
  }

  @Test
  void readsRulesAsLakeSyncWritesThem() throws Exception {
    SyncRules rules = parse("{\"version\":2,\"buckets\":[{\"name\":\"own\",\"tables\":[\"todos\"],"
        + "\"filters\":[{\"column\":\"owner\",\"op\":\"eq\",\"value\":\"jwt:sub\"}]},"
        + "{\"name\":\"all\",\"tables\":[],\"filters\":[]}],\"extra\":true}");
    assertThat(rules).isEqualTo(new SyncRules(2, List.of(
        new Bucket("own", List.of("todos"), List.of(new Filter("owner", SyncRules.Op.EQ, "jwt:sub"))),
        new Bucket("all", List.of(), List.of()))));
    assertThat(parse("{\"version\":1.0,\"buckets\":[]}").version()).as("1.0 is an integer in JavaScript").isEqualTo(1);
  }

  @Test
  void refusesWhatLakeSyncRefusesWithItsMessages() {
    refused("not json", "Invalid JSON body");
    refused("", "Invalid JSON body");
    refused("{} {}", "Invalid JSON body");
    refused("null", "Sync rules config must be an object");
    refused("\"rules\"", "Sync rules config must be an object");
    refused("[]", "Sync rules version must be a positive integer");
    refused("{\"buckets\":[]}", "Sync rules version must be a positive integer");
    refused("{\"version\":0,\"buckets\":[]}", "Sync rules version must be a positive integer");
    refused("{\"version\":1.5,\"buckets\":[]}", "Sync rules version must be a positive integer");
    refused("{\"version\":\"1\",\"buckets\":[]}", "Sync rules version must be a positive integer");
    refused("{\"version\":1,\"buckets\":{}}", "Sync rules buckets must be an array");
    refused("{\"version\":1,\"buckets\":[7]}", "Bucket at index 0 must be an object");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"\",\"tables\":[],\"filters\":[]}]}",
        "Bucket at index 0 must have a non-empty name");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"tables\":[],\"filters\":[]},{\"name\":\"a\"}]}",
        "Duplicate bucket name: \"a\"");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"filters\":[]}]}", "Bucket \"a\" tables must be an array");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"tables\":[\"\"],\"filters\":[]}]}",
        "Bucket \"a\" tables must contain non-empty strings");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"tables\":[]}]}", "Bucket \"a\" filters must be an array");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"tables\":[],\"filters\":[null]}]}",
        "Bucket \"a\" filter at index 0 must be an object");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"tables\":[],\"filters\":[{\"op\":\"eq\",\"value\":\"x\"}]}]}",
        "Bucket \"a\" filter at index 0 must have a non-empty column");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"tables\":[],\"filters\":[{\"column\":\"c\",\"op\":\"like\","
        + "\"value\":\"x\"}]}]}", "Bucket \"a\" filter at index 0 op must be one of: eq, in, neq, gt, lt, gte, lte");
    refused("{\"version\":1,\"buckets\":[{\"name\":\"a\",\"tables\":[],\"filters\":[{\"column\":\"c\",\"op\":\"eq\","
        + "\"value\":5}]}]}", "Bucket \"a\" filter at index 0 must have a non-empty value");
  }
}
