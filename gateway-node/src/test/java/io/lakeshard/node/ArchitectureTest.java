package io.lakeshard.node;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering the design describes (docs/design.md): node → core → protocol, one way; the
 * object-store adapter implements a core port; inside core and node, no package cycles and no
 * entity family reaching into another's package.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.lakeshard");
  }

  @Test
  void coreKnowsNoHttpNodeOrAdapter() {
    noClasses().that().resideInAPackage("io.lakeshard.core..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "org.apache.pekko.http..", "io.lakeshard.node..", "io.lakeshard.adapter..")
        .check(classes);
  }

  @Test
  void protocolKnowsNeitherCoreNorNode() {
    noClasses().that().resideInAPackage("io.lakeshard.protocol..")
        .should().dependOnClassesThat().resideInAnyPackage("io.lakeshard.core..", "io.lakeshard.node..")
        .check(classes);
  }

  /** The command line is a client of the HTTP API: it shares the protocol's pieces, never the node's. */
  @Test
  void commandLineKnowsNeitherCoreNorNode() {
    noClasses().that().resideInAPackage("io.lakeshard.cli..")
        .should().dependOnClassesThat().resideInAnyPackage("io.lakeshard.core..", "io.lakeshard.node..",
            "io.lakeshard.adapter..")
        .check(classes);
  }

  @Test
  void adapterKnowsNoNode() {
    noClasses().that().resideInAPackage("io.lakeshard.adapter..")
        .should().dependOnClassesThat().resideInAPackage("io.lakeshard.node..")
        .check(classes);
  }

  @Test
  void corePackagesFormNoCycle() {
    slices().matching("io.lakeshard.core.(*)..").should().beFreeOfCycles().check(classes);
  }

  /** The node's bootstrap and settings sit at the top and wire every package below; those form no cycle. */
  @Test
  void nodePackagesFormNoCycle() {
    slices().matching("io.lakeshard.node.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void streamsAndGatewaysStayApart() {
    noClasses().that().resideInAPackage("io.lakeshard.core.stream..")
        .should().dependOnClassesThat().resideInAnyPackage("io.lakeshard.core.gateway..", "io.lakeshard.core.flush..")
        .check(classes);
    noClasses().that().resideInAPackage("io.lakeshard.node.stream..")
        .should().dependOnClassesThat().resideInAPackage("io.lakeshard.node.sync..")
        .check(classes);
    noClasses().that().resideInAPackage("io.lakeshard.node.sync..")
        .should().dependOnClassesThat().resideInAPackage("io.lakeshard.node.stream..")
        .check(classes);
  }

  /** Claims versions serve every sync surface; they know none of them (workspace auth uses claims, not the reverse). */
  @Test
  void claimsVersionsKnowNoSyncSurface() {
    noClasses().that().resideInAPackage("io.lakeshard.node.claims..")
        .should().dependOnClassesThat().resideInAnyPackage("io.lakeshard.node.sync..", "io.lakeshard.node.livestore..",
            "io.lakeshard.node.stream..", "io.lakeshard.node.workspace..", "io.lakeshard.node.images..")
        .check(classes);
  }
}
