package io.lakeshard.core.schema;

import java.util.Set;

/**
 * The lake's own columns, which every gateway data file starts with (the catalogue lays them
 * out); a registered schema may not reuse their names.
 */
public final class LakeColumns {
  public static final String COLUMNS_JSON = "columns";
  public static final String ACCEPTED_AT = "acceptedAt";
  public static final String STAMP = "stamp";
  /** Names a registered column may not take. */
  public static final Set<String> RESERVED =
      Set.of("op", "table", "rowId", "clientId", "deltaId", "hlc", STAMP, ACCEPTED_AT, COLUMNS_JSON);

  private LakeColumns() {}
}
