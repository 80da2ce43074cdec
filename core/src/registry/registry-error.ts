/** The error every registry operation fails with: a code for programs, a message (and what to do) for people. */

/** Why a registry operation failed. */
export type RegistryErrorCode =
  | "invalid_spec" // not NAME[@RANGE|@TAG]
  | "not_found" // the registry has no such package
  | "no_matching_version" // npm's ETARGET: no version satisfies the range or tag
  | "unreachable" // no answer, a timeout, or a connection that died mid-transfer
  | "bad_response" // an answer that is not what npm's protocol says
  | "too_large" // a packument or tarball past its cap
  | "integrity_mismatch" // the tarball's sha512 is not the one the registry signed
  | "signature_invalid" // a missing, unknown or failing registry signature
  | "key_changed" // the registry's signing key is not the one pinned on first use
  | "not_a_plugin"; // an npm package without shimmy-plugin.json

/** A coded failure of the registry client. */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;

  /**
   * @example
   * throw new RegistryError("not_found", `"web-serch" is not in ${registry}`);
   */
  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RegistryError";
    this.code = code;
  }
}
