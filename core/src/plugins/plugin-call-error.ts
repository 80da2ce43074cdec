/**
 * The error a plugin host function or a plugin load check fails with.
 *
 * Not a {@link import("../errors.js").ShimmyError}: these failures are answered to the *plugin* as a
 * JSON `{"error": {code, message}}` (ARCHITECTURE.md, "Plugin ABI"), not to an HTTP client, so they
 * carry their own small set of codes and no HTTP status.
 */

/** Why a plugin call (or a module check) was refused or failed. */
export type PluginCallErrorCode =
  | "permission_denied" // the manifest's grants do not cover this origin, address or path
  | "response_too_large" // a response or read went past its byte cap
  | "payload_too_large" // a write went past its byte cap
  | "too_many_entries" // a folder listing went past its entry cap
  | "too_many_redirects"
  | "timeout"
  | "invalid_request" // the plugin's request itself is malformed (bad URL, bad header, relative path)
  | "not_found"
  | "network_error" // DNS or connection failure
  | "io_error" // another file-system failure
  | "invalid_module" // the wasm binary could not be parsed
  | "memory_limit"; // the wasm module's memory limits break the manifest's cap

/** A coded failure of a plugin call; `toJSON` is the shape the plugin sees. */
export class PluginCallError extends Error {
  readonly code: PluginCallErrorCode;

  constructor(code: PluginCallErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PluginCallError";
    this.code = code;
  }

  /** The `{"error": {...}}` object handed back to the plugin instead of a trap. */
  toJSON(): { error: { code: PluginCallErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}
