package io.lakeshard.core.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ActionHandlersTest {
  @Test
  void handlersAreFoundAndDescribedByConnector() {
    GatewayActionsTest.Crm crm = new GatewayActionsTest.Crm();
    ActionHandlers handlers = new ActionHandlers(List.of(crm));
    assertThat(handlers.find("crm")).containsSame(crm);
    assertThat(handlers.find("slack")).isEmpty();
    assertThat(handlers.describe()).containsOnlyKeys("crm");
    assertThat(handlers.describe().get("crm")).extracting(ActionDescriptor::actionType).contains("create", "refuse");
    assertThat(new ActionHandlers(List.of()).describe()).isEmpty();
  }

  @Test
  void twoHandlersForOneConnectorAreAConfigurationMistake() {
    assertThatThrownBy(() -> new ActionHandlers(List.of(new GatewayActionsTest.Crm(), new GatewayActionsTest.Crm())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'crm'");
  }
}
