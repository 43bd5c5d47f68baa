package io.lakeshard.node.workspace;

/**
 * Why workspace auth refused: the text before the colon of a LiveStore refusal ({@code CODE:
 * message}, read by substring by Work Squared's web client: {@code FORBIDDEN} logs out, {@code
 * TOKEN_*} refreshes the token) and the {@code code} of a LakeSync JSON error.
 */
public enum WorkspaceCode {
  /** No token (no {@code authToken}, no bearer). */
  TOKEN_MISSING,
  /** Malformed, not HS256, not signed by us, no {@code exp}, wrong iss/aud, or claims missing. */
  TOKEN_INVALID,
  /** Past {@code exp} + the grace period. */
  GRACE_PERIOD_EXPIRED,
  /** The token's {@code workspaceClaimsVersion} is below the user's current version. */
  TOKEN_VERSION_STALE,
  /** The workspace is not the token's, the instanceId is not the store, or the role is too low. */
  FORBIDDEN,
  /** The user's claims version could not be read in time: retry (never accepted unchecked). */
  AUTH_UNAVAILABLE
}
